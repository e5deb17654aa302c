// Reads a declarative document into flat entity lists: nested entities are lifted to their own
// collection with the parent reference filled in, and entities without an id get Kong's
// deterministic one. Structural problems (not an object, unknown keys, a list that is not a list) are
// collected with their place; field values are left for validateDeclarative to check.
import { entitySchema } from '../entities/registry';
import { MESSAGES } from '../fields';
import type { EntityName } from '../types';
import { generateId } from './ids';
import {
  DECLARATIVE_COLLECTIONS,
  DECLARATIVE_FORMAT_VERSION,
  childRelations,
  emptyEntities,
  problem,
  renderPath,
  type DeclarativeEntities,
  type DeclarativeError,
  type PathSegment,
} from './model';

export interface ParsedDeclarative {
  /** every entity of the file, by collection, flattened */
  entities: DeclarativeEntities;
  /** where each entity is in the file, parallel to `entities` */
  locations: Record<EntityName, PathSegment[][]>;
  /** `_transform` (default true): hash plaintext credentials (basic-auth passwords) */
  transform: boolean;
  errors: DeclarativeError[];
}

type Input = Record<string, unknown>;

const isRecord = (v: unknown): v is Input => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Kong's `_comment` and `_ignore` may appear anywhere and mean nothing. */
function withoutAnnotations(item: Input): Input {
  const rest = { ...item };
  delete rest._comment;
  delete rest._ignore;
  return rest;
}

interface Parent {
  kind: EntityName;
  id: unknown;
  field: string;
}

class Reader {
  readonly entities = emptyEntities();
  readonly locations = Object.fromEntries(DECLARATIVE_COLLECTIONS.map((k) => [k, []])) as unknown as Record<EntityName, PathSegment[][]>;
  readonly errors: DeclarativeError[] = [];

  collection(kind: EntityName, list: unknown, path: PathSegment[], parent?: Parent): void {
    if (list === null || list === undefined) return;
    if (!Array.isArray(list)) {
      this.errors.push(problem(path, MESSAGES.array));
      return;
    }
    list.forEach((item, i) => this.entity(kind, item, [...path, i], i, parent));
  }

  private entity(kind: EntityName, raw: unknown, path: PathSegment[], index: number, parent?: Parent): void {
    if (!isRecord(raw)) {
      this.errors.push(problem(path, MESSAGES.record));
      return;
    }
    const item = withoutAnnotations(raw);
    const ref = { kind, path, input: item };
    const children: [Parent['kind'], unknown, string][] = [];
    for (const rel of childRelations(kind)) {
      if (!(rel.kind in item)) continue;
      children.push([rel.kind, item[rel.kind], rel.field]);
      delete item[rel.kind];
    }
    if (parent) {
      if (item[parent.field] !== undefined && item[parent.field] !== null) this.errors.push(problem([...path, parent.field], 'value must be null', ref));
      item[parent.field] = { id: parent.id };
    }
    if (item.id === undefined || item.id === null) {
      const position = parent ? `${parent.kind}:${String(parent.id)}/${kind}[${index}]` : renderPath(path);
      item.id = generateId(kind, item, entitySchema(kind), position);
    }
    this.entities[kind].push(item);
    this.locations[kind].push(path);
    for (const [childKind, list, field] of children) {
      const names = kind === 'certificates' && childKind === 'snis' ? sniRecords(list) : list;
      this.collection(childKind, names, [...path, childKind], { kind, id: item.id, field });
    }
  }
}

/** A certificate's `snis` may be names, as on the Admin API, or sni records, as in Kong's files. */
function sniRecords(list: unknown): unknown {
  return Array.isArray(list) ? list.map((s) => (typeof s === 'string' ? { name: s } : s)) : list;
}

function checkHeader(doc: Input, errors: DeclarativeError[]): boolean {
  const version = doc._format_version;
  if (version === undefined || version === null) errors.push(problem(['_format_version'], MESSAGES.required));
  else if (version !== DECLARATIVE_FORMAT_VERSION) errors.push(problem(['_format_version'], `expected one of: ${DECLARATIVE_FORMAT_VERSION}`));
  const transform = doc._transform;
  if (transform !== undefined && transform !== null && typeof transform !== 'boolean') errors.push(problem(['_transform'], MESSAGES.boolean));
  return transform !== false;
}

const META_KEYS = new Set(['_format_version', '_transform', '_comment', '_ignore']);

/**
 * Flattens a declarative document (already decoded from JSON or YAML). Never throws: every problem
 * found is in `errors`, each naming its place (`services[2].routes[0]`).
 */
export function parseDeclarative(input: unknown): ParsedDeclarative {
  const reader = new Reader();
  if (!isRecord(input)) {
    reader.errors.push(problem([], 'failed parsing declarative configuration: expected an object'));
    return { entities: reader.entities, locations: reader.locations, transform: true, errors: reader.errors };
  }
  const transform = checkHeader(input, reader.errors);
  const known = new Set<string>(DECLARATIVE_COLLECTIONS);
  for (const key of Object.keys(input))
    if (!META_KEYS.has(key) && !known.has(key)) reader.errors.push(problem([key], MESSAGES.unknown));
  for (const kind of DECLARATIVE_COLLECTIONS) {
    reader.collection(kind, input[kind], [kind]);
  }
  return { entities: reader.entities, locations: reader.locations, transform, errors: reader.errors };
}
