// Entity-level validation: one call for every writer (Admin API, declarative files, data plane).
import { randomUUID } from 'node:crypto';
import { type FieldErrors, schemaViolation } from './errors';
import { type EntityFields, MESSAGES, coerceFormValues, validateFields } from './fields';
import type { EntityName } from './types';

export interface EntitySchema {
  name: EntityName;
  /** the collection's Admin API path, e.g. `key-auths` (Kong's admin_api_name; default: name) */
  adminPath?: string;
  /** the path under a parent entity, e.g. `/consumers/{c}/key-auth` (Kong's admin_api_nested_name) */
  nestedPath?: string;
  /** the field that, besides the id, addresses an entity in a URL (Kong's endpoint_key), if any */
  endpointKey: string | null;
  /** unique constraints over several fields (nulls equal), e.g. [['upstream', 'target']] */
  uniques?: readonly (readonly string[])[];
  /** fields accepted on write but not stored with the entity (e.g. a certificate's `snis`) */
  transient?: readonly string[];
  /** last step before storing: derive stored values (hash a password, digest a certificate) */
  beforeStore?(entity: Record<string, unknown>, existing: Record<string, unknown> | null): Record<string, unknown>;
  fields: EntityFields;
  /** write-only fields that expand into real ones (the service `url`) */
  shorthands?: Record<string, (value: unknown) => Record<string, unknown> | { error: string }>;
  /** runs on the merged input before field validation */
  normalize?(input: Record<string, unknown>): Record<string, unknown>;
  /** cross-field rules (Kong's entity_checks); runs on a complete, field-valid entity */
  check?(entity: Record<string, unknown>): FieldErrors | null;
}

export type WriteKind = 'create' | 'update' | 'replace';

export interface ValidateOptions {
  /** the stored entity, for update (PATCH) and replace (PUT) */
  existing?: Record<string, unknown> | null;
  /** input came from a form body: coerce strings by the schema first */
  fromForm?: boolean;
  /** clock, for tests */
  now?: number;
}

function expandShorthands(schema: EntitySchema, input: Record<string, unknown>, errors: FieldErrors) {
  if (!schema.shorthands) return input;
  let out = input;
  for (const [key, expand] of Object.entries(schema.shorthands)) {
    if (!(key in out)) continue;
    const { [key]: raw, ...rest } = out;
    const expanded = expand(raw);
    if ('error' in expanded && typeof expanded.error === 'string') errors[key] = expanded.error;
    else out = { ...rest, ...expanded };
  }
  return out;
}

/**
 * Validates a write and returns the complete entity to store, or throws a Kong-shaped schema violation
 * naming every bad field. `create` fills id, timestamps and defaults; `update` merges over `existing`;
 * `replace` keeps only id and created_at of `existing`.
 */
export function validateEntity<T = Record<string, unknown>>(
  schema: EntitySchema,
  rawInput: Record<string, unknown>,
  kind: WriteKind,
  opts: ValidateOptions = {},
): T {
  if (rawInput === null || typeof rawInput !== 'object' || Array.isArray(rawInput))
    throw schemaViolation({ '@entity': [MESSAGES.record] });
  const errors: FieldErrors = {};
  let input = opts.fromForm ? coerceFormValues(schema.fields, rawInput) : { ...rawInput };
  input = expandShorthands(schema, input, errors);
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const existing = opts.existing ?? null;

  let merged: Record<string, unknown>;
  if (kind === 'update' && existing) merged = mergeUpdate(schema.fields, existing, input);
  else merged = { ...input };
  if (kind === 'create') merged.id ??= randomUUID();
  if (existing) {
    merged.id = existing.id;
    merged.created_at = existing.created_at;
  }
  merged.created_at ??= now;
  merged.updated_at = now;
  if (schema.normalize) merged = schema.normalize(merged);

  const result = validateFields(schema.fields, merged, 'create');
  Object.assign(errors, result.errors);
  if (Object.keys(errors).length === 0 && schema.check) {
    const entityErrors = schema.check(result.value);
    if (entityErrors) Object.assign(errors, entityErrors);
  }
  if (Object.keys(errors).length) throw schemaViolation(errors);
  return result.value as T;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * PATCH semantics, as Kong's: given fields replace stored ones, except records, which merge field by
 * field (so `healthchecks.active.healthy.interval` alone leaves the rest of `healthchecks` as it was).
 * Fields of type `any` (a plugin's config) merge as records too.
 */
export function mergeUpdate(
  fields: EntityFields | null,
  existing: Record<string, unknown>,
  input: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...existing };
  for (const [key, value] of Object.entries(input)) {
    const old = existing[key];
    if (!isPlainObject(value) || !isPlainObject(old)) {
      out[key] = value;
      continue;
    }
    // fields === null: inside a value of type `any`, every object merges
    const def = fields ? fields[key] : null;
    if (def === null) out[key] = mergeUpdate(null, old, value);
    else if (def?.type === 'record') out[key] = mergeUpdate(def.fields, old, value);
    else if (def?.type === 'any') out[key] = mergeUpdate(null, old, value);
    else out[key] = value;
  }
  return out;
}

/** The fields declared unique (besides the primary key), e.g. `name`. */
export function uniqueFields(schema: EntitySchema): string[] {
  return Object.entries(schema.fields)
    .filter(([, def]) => def.type === 'string' && def.unique)
    .map(([name]) => name);
}
