// Validates a parsed declarative file as one whole: every entity by its schema (plugins also by their
// own plugin's schema, defaults filled), every reference resolved within the file (by id or by
// endpoint key: `service: "name"`, `{id}`, `{name}`), and every id and unique key declared once.
// Every problem is collected, each with its place in the file; nothing stops at the first.
import { entitySchema } from '../entities/registry';
import { validatePlugin, type PluginLookup } from '../entities/plugin';
import { ArchwayError, type FieldErrors } from '../errors';
import { uniqueFields, validateEntity } from '../entity';
import type { EntityName } from '../types';
import { parseDeclarative, type ParsedDeclarative } from './parse';
import {
  DECLARATIVE_COLLECTIONS,
  emptyEntities,
  foreignFieldsOf,
  problem,
  type DeclarativeEntities,
  type DeclarativeError,
  type PathSegment,
} from './model';

export interface ValidateDeclarativeOptions {
  /** the plugins this node runs (libs/plugins' `pluginSchema`) */
  plugins: PluginLookup;
  /** clock for created_at/updated_at of entities that do not give them, for tests */
  now?: number;
}

export interface ValidatedDeclarative {
  /** the entities as they are stored: complete, references as `{id}`, credentials transformed */
  entities: DeclarativeEntities;
  errors: DeclarativeError[];
}

type Input = Record<string, unknown>;
type EntityRef = NonNullable<DeclarativeError['entity']>;

/** A placeholder for a reference already reported as dangling, so the schema does not report it again. */
const UNRESOLVED = { id: '00000000-0000-0000-0000-000000000000' };

class Index {
  readonly byId = new Map<EntityName, Map<string, Input>>();
  readonly byKey = new Map<EntityName, Map<string, Input>>();

  constructor(parsed: ParsedDeclarative, errors: DeclarativeError[]) {
    for (const kind of DECLARATIVE_COLLECTIONS) {
      const ids = new Map<string, Input>();
      const keys = new Map<string, Input>();
      const endpointKey = entitySchema(kind).endpointKey;
      parsed.entities[kind].forEach((item, i) => {
        const id = String(item.id);
        if (ids.has(id)) {
          const path = parsed.locations[kind][i];
          errors.push(problem(path, `uniqueness violation: '${kind}' entity with primary key set to '${id}' already declared`, { kind, path, input: item }));
        } else ids.set(id, item);
        const key = endpointKey ? item[endpointKey] : undefined;
        if (typeof key === 'string' && !keys.has(key)) keys.set(key, item);
      });
      this.byId.set(kind, ids);
      this.byKey.set(kind, keys);
    }
  }

  /** Kong's find_entity: by endpoint key first, then by id. */
  find(kind: EntityName, key: string): Input | undefined {
    return this.byKey.get(kind)?.get(key) ?? this.byId.get(kind)?.get(key);
  }
}

function danglingMessage(field: string, value: unknown, reference: EntityName): string {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return `invalid reference '${field}: ${shown}' (no such entry in '${reference}')`;
}

/** A reference as `{id}`; null when it names nothing in the file; undefined when malformed (the schema says why). */
function resolve(index: Index, reference: EntityName, value: unknown): { id: unknown } | null | undefined {
  if (typeof value === 'string') {
    const found = index.find(reference, value);
    return found ? { id: found.id } : null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Input);
  if (entries.length !== 1 || typeof entries[0][1] !== 'string') return undefined;
  const [key, name] = entries[0] as [string, string];
  if (key === 'id') return index.byId.get(reference)?.has(name) ? { id: name } : null;
  if (key !== entitySchema(reference).endpointKey) return undefined;
  const found = index.byKey.get(reference)?.get(name);
  return found ? { id: found.id } : null;
}

function resolveReferences(kind: EntityName, item: Input, ref: EntityRef, index: Index, errors: DeclarativeError[]): Input {
  const out = { ...item };
  for (const { field, reference } of foreignFieldsOf(kind)) {
    const value = out[field];
    if (value === undefined || value === null) continue;
    const resolved = resolve(index, reference, value);
    if (resolved === undefined) continue;
    if (resolved === null) {
      errors.push(problem([...ref.path, field], danglingMessage(field, value, reference), ref));
      out[field] = UNRESOLVED;
    } else out[field] = resolved;
  }
  // a service trusts CA certificates named by id in a plain list
  if (kind === 'services' && Array.isArray(out.ca_certificates))
    out.ca_certificates.forEach((ca, i) => {
      if (typeof ca === 'string' && !index.byId.get('ca_certificates')?.has(ca))
        errors.push(problem([...ref.path, 'ca_certificates', i], danglingMessage('ca_certificates', ca, 'ca_certificates'), ref));
    });
  return out;
}

/** A schema violation's nested field errors, one problem per message. */
function fieldProblems(fields: FieldErrors, base: PathSegment[], ref: EntityRef, out: DeclarativeError[]): void {
  for (const [key, value] of Object.entries(fields)) {
    const here = key === '@entity' ? base : [...base, key];
    if (typeof value === 'string') out.push(problem(here, value, ref));
    else if (Array.isArray(value))
      value.forEach((v, i) => {
        if (v === null || v === undefined) return;
        if (typeof v === 'string') out.push(problem(key === '@entity' ? base : [...here, i], v, ref));
        else fieldProblems(v, [...here, i], ref, out);
      });
    else fieldProblems(value, here, ref, out);
  }
}

function validateOne(kind: EntityName, input: Input, ref: EntityRef, opts: ValidateDeclarativeOptions, transform: boolean, errors: DeclarativeError[]): Input | null {
  const schema = entitySchema(kind);
  const body = { ...input };
  for (const field of schema.transient ?? []) delete body[field];
  try {
    const vopts = { now: opts.now };
    let entity = (kind === 'plugins' ? validatePlugin(body, 'create', opts.plugins, vopts) : validateEntity(schema, body, 'create', vopts)) as Input;
    // `_transform: false` (an export) carries basic-auth passwords already hashed
    const keepAsGiven = kind === 'basicauth_credentials' && !transform;
    if (schema.beforeStore && !keepAsGiven) entity = schema.beforeStore(entity, null);
    for (const field of schema.transient ?? []) delete entity[field];
    return entity;
  } catch (err) {
    if (!(err instanceof ArchwayError)) throw err;
    if (err.fields) fieldProblems(err.fields as FieldErrors, ref.path, ref, errors);
    else errors.push(problem(ref.path, err.message, ref));
    return null;
  }
}

const keyPart = (v: unknown): unknown => (v !== null && typeof v === 'object' && 'id' in v ? (v as { id: unknown }).id : v);

/** Unique fields and field sets hold across the file. */
function checkUniques(kind: EntityName, entities: Input[], refs: EntityRef[], errors: DeclarativeError[]): void {
  const schema = entitySchema(kind);
  const sets = [...uniqueFields(schema).map((f) => [f]), ...(schema.uniques ?? []).map((s) => [...s])];
  for (const fields of sets) {
    const seen = new Set<string>();
    entities.forEach((e, i) => {
      const values = fields.map((f) => keyPart(e[f] ?? null));
      // as in the database: a null exempts, except in a plugin's (name, route, service, consumer)
      if ((kind !== 'plugins' || fields.length === 1) && values.some((v) => v === null)) return;
      const key = JSON.stringify(values);
      if (!seen.has(key)) return void seen.add(key);
      const shown = fields.map((f, j) => `${f} set to '${values[j] === null ? 'null' : String(values[j])}'`).join(' and ');
      errors.push(problem(refs[i].path, `uniqueness violation: '${kind}' entity with ${shown} already declared`, refs[i]));
    });
  }
}

/** Validates a parsed file; `errors` holds the parse problems too. Write nothing unless it is empty. */
export function validateDeclarative(parsed: ParsedDeclarative, opts: ValidateDeclarativeOptions): ValidatedDeclarative {
  const errors = [...parsed.errors];
  const index = new Index(parsed, errors);
  const entities = emptyEntities();
  for (const kind of DECLARATIVE_COLLECTIONS) {
    const valid: Input[] = [];
    const validRefs: EntityRef[] = [];
    parsed.entities[kind].forEach((item, i) => {
      const ref: EntityRef = { kind, path: parsed.locations[kind][i], input: item };
      const resolved = resolveReferences(kind, item, ref, index, errors);
      const entity = validateOne(kind, resolved, ref, opts, parsed.transform, errors);
      if (entity) {
        valid.push(entity);
        validRefs.push(ref);
      }
    });
    checkUniques(kind, valid, validRefs, errors);
    entities[kind] = valid;
  }
  return { entities, errors };
}

/** Parses and validates a decoded document in one call. */
export function loadDeclarative(input: unknown, opts: ValidateDeclarativeOptions): ValidatedDeclarative {
  return validateDeclarative(parseDeclarative(input), opts);
}
