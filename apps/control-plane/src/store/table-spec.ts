// How each entity is laid out in Postgres, derived from its schema: the columns the database must
// enforce (primary key, unique keys, foreign keys with their ON DELETE rule, tags for filtering) and
// the whole validated entity in `data`. The migrations create exactly these columns; a spec checks
// that they still agree.
import type { EntityName, EntitySchema, FieldDef } from '@archway/schema';

export interface ForeignColumn {
  field: string;
  column: string;
  parent: EntityName;
  onDelete: 'cascade' | 'restrict';
}

export interface UniqueConstraint {
  name: string;
  fields: readonly string[];
}

export interface TableSpec {
  schema: EntitySchema;
  table: string;
  /** columns other than id, tags and data, in insert order */
  columns: { name: string; field: string; foreign: boolean }[];
  foreign: ForeignColumn[];
  uniques: UniqueConstraint[];
}

export function columnFor(schema: EntitySchema, field: string): string {
  return schema.fields[field]?.type === 'foreign' ? `${field}_id` : field;
}

export function tableSpec(schema: EntitySchema): TableSpec {
  const foreign: ForeignColumn[] = [];
  for (const [field, def] of Object.entries(schema.fields)) {
    if (def.type !== 'foreign') continue;
    const fk = def as Extract<FieldDef, { type: 'foreign' }>;
    foreign.push({ field, column: `${field}_id`, parent: fk.reference as EntityName, onDelete: fk.onDelete ?? 'restrict' });
  }
  const uniqueSets: string[][] = [];
  for (const [field, def] of Object.entries(schema.fields)) if (def.type === 'string' && def.unique) uniqueSets.push([field]);
  for (const set of schema.uniques ?? []) uniqueSets.push([...set]);
  const uniques = uniqueSets.map((fields) => ({
    name: `${schema.name}_${fields.map((f) => columnFor(schema, f)).join('_')}_key`,
    fields,
  }));
  const keyFields = new Set<string>([...foreign.map((f) => f.field), ...uniqueSets.flat()]);
  if (schema.endpointKey) keyFields.add(schema.endpointKey);
  const columns = [...keyFields].map((field) => ({
    name: columnFor(schema, field),
    field,
    foreign: schema.fields[field]?.type === 'foreign',
  }));
  return { schema, table: schema.name, columns, foreign, uniques };
}

/** The values of a row's columns for an entity, in `spec.columns` order, then tags and data. */
export function rowValues(spec: TableSpec, entity: Record<string, unknown>): unknown[] {
  const values = spec.columns.map((c) => {
    const v = entity[c.field];
    if (c.foreign) return (v as { id?: string } | null)?.id ?? null;
    return v ?? null;
  });
  values.push(entity.tags ?? null, JSON.stringify(entity));
  return values;
}
