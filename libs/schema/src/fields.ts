// A small field DSL: each entity is defined once (type, default, bounds) and validation, defaults and
// form-value coercion all derive from the definition. Messages are Kong's (kong/db/schema/init.lua).
import type { FieldErrors } from './errors';

export type FieldDef =
  /** strings are non-empty unless `len_min` says otherwise (Kong's default len_min is 1) */
  | { type: 'string'; required?: boolean; default?: string | null | (() => string); oneOf?: readonly string[]; check?: (v: string) => string | null; uuid?: boolean; unique?: boolean; auto?: boolean; len_min?: number; len_max?: number }
  | { type: 'integer'; required?: boolean; default?: number | null; between?: readonly [number, number]; gt?: number; oneOf?: readonly number[]; auto?: boolean }
  /** a float (Kong's `number`: rate-limiting windows, timeouts in seconds) */
  | { type: 'number'; required?: boolean; default?: number | null; between?: readonly [number, number]; gt?: number; oneOf?: readonly number[] }
  | { type: 'boolean'; required?: boolean; default?: boolean | null }
  | { type: 'array' | 'set'; required?: boolean; default?: readonly unknown[] | null; elements: FieldDef; len_min?: number }
  | { type: 'map'; required?: boolean; default?: null; keys: FieldDef; values: FieldDef }
  /** an absent record is filled from its fields' defaults, unless its default is explicitly null */
  | {
      type: 'record';
      required?: boolean;
      default?: null;
      fields: Record<string, FieldDef>;
      /** cross-field rules on the field-valid record: field errors (with `@entity`), or one message for the whole record */
      check?: (v: Record<string, unknown>) => FieldErrors | string | null;
      /** write-only aliases (Kong's shorthand_fields): the value expands into a partial record merged into the input */
      shorthands?: Record<string, (value: unknown) => Record<string, unknown>>;
    }
  /** any JSON value, checked elsewhere (a plugin's config is checked by that plugin's schema) */
  | { type: 'any'; required?: boolean; default?: null }
  | { type: 'foreign'; reference: string; required?: boolean; default?: null; onDelete?: 'cascade' | 'restrict' };

export type EntityFields = Record<string, FieldDef>;

export const MESSAGES = {
  unknown: 'unknown field',
  required: 'required field missing',
  string: 'expected a string',
  integer: 'expected an integer',
  number: 'expected a number',
  boolean: 'expected a boolean',
  array: 'expected an array',
  set: 'expected a set',
  map: 'expected a map',
  record: 'expected a record',
  emptyString: 'length must be at least 1',
  uuid: 'expected a valid UUID',
} as const;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && UUID_RE.test(v);
}

function oneOfMessage(values: readonly (string | number)[]): string {
  return `expected one of: ${values.join(', ')}`;
}

/** Validates one value against its definition; returns the normalised value or records an error. */
function checkValue(def: FieldDef, value: unknown): { value?: unknown; error?: FieldErrors[string] } {
  switch (def.type) {
    case 'string': {
      if (typeof value !== 'string') return { error: MESSAGES.string };
      const lenMin = def.len_min ?? 1;
      if (value.length < lenMin) return { error: `length must be at least ${lenMin}` };
      if (def.len_max !== undefined && value.length > def.len_max) return { error: `length must be at most ${def.len_max}` };
      if (def.uuid && !isUuid(value)) return { error: MESSAGES.uuid };
      if (def.oneOf && !def.oneOf.includes(value)) return { error: oneOfMessage(def.oneOf) };
      const msg = def.check?.(value);
      return msg ? { error: msg } : { value };
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return { error: MESSAGES[def.type] };
      if (def.type === 'integer' && !Number.isInteger(value)) return { error: MESSAGES.integer };
      // Kong's validator order: one_of, gt, between
      if (def.oneOf && !def.oneOf.includes(value)) return { error: oneOfMessage(def.oneOf) };
      if (def.gt !== undefined && !(value > def.gt)) return { error: `value must be greater than ${def.gt}` };
      if (def.between && (value < def.between[0] || value > def.between[1]))
        return { error: `value should be between ${def.between[0]} and ${def.between[1]}` };
      return { value };
    }
    case 'boolean':
      return typeof value === 'boolean' ? { value } : { error: MESSAGES.boolean };
    case 'array':
    case 'set': {
      if (!Array.isArray(value)) return { error: def.type === 'set' ? MESSAGES.set : MESSAGES.array };
      if (def.len_min && value.length < def.len_min) return { error: `length must be at least ${def.len_min}` };
      const out: unknown[] = [];
      const errors: (string | FieldErrors | null)[] = [];
      let failed = false;
      value.forEach((el, i) => {
        const r = checkValue(def.elements, el);
        if (r.error !== undefined) {
          failed = true;
          errors[i] = r.error as string | FieldErrors;
        } else {
          errors[i] = null;
          if (def.type === 'array' || !out.includes(r.value)) out.push(r.value);
        }
      });
      return failed ? { error: errors } : { value: out };
    }
    case 'map': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: MESSAGES.map };
      const out: Record<string, unknown> = {};
      const errors: FieldErrors = {};
      for (const [k, v] of Object.entries(value)) {
        const kr = checkValue(def.keys, k);
        if (kr.error !== undefined) {
          errors[k] = kr.error;
          continue;
        }
        const vr = checkValue(def.values, v);
        if (vr.error !== undefined) errors[k] = vr.error;
        else out[kr.value as string] = vr.value;
      }
      return Object.keys(errors).length ? { error: errors } : { value: out };
    }
    case 'record': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: MESSAGES.record };
      const r = validateFields(def.fields, expandShorthands(def, value as Record<string, unknown>), 'create');
      if (r.errors) return { error: r.errors };
      const recordErrors = def.check?.(r.value);
      return recordErrors ? { error: recordErrors } : { value: r.value };
    }
    case 'any':
      return { value };
    case 'foreign': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: MESSAGES.record };
      const fk = value as Record<string, unknown>;
      const unknownKeys = Object.keys(fk).filter((k) => k !== 'id');
      if (unknownKeys.length) return { error: Object.fromEntries(unknownKeys.map((k) => [k, MESSAGES.unknown])) };
      if (!isUuid(fk.id)) return { error: { id: MESSAGES.uuid } };
      return { value: { id: fk.id } };
    }
  }
}

type RecordDef = Extract<FieldDef, { type: 'record' }>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep-merges `patch` into `base`: nested records merge, anything else in `patch` wins. */
function mergeRecords(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(patch))
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeRecords(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** Replaces shorthand keys (e.g. rate-limiting's `redis_host`) by what they stand for (`redis.host`). */
function expandShorthands(def: RecordDef, input: Record<string, unknown>): Record<string, unknown> {
  if (!def.shorthands) return input;
  let out = input;
  for (const [key, expand] of Object.entries(def.shorthands)) {
    if (!(key in out)) continue;
    const { [key]: raw, ...rest } = out;
    out = raw === undefined || raw === null ? rest : mergeRecords(rest, expand(raw));
  }
  return out;
}

export type ValidateMode = 'create' | 'update';

/**
 * Validates `input` against `fields`. In `create` mode every field ends up present (defaults filled,
 * absent optionals null); in `update` mode only the given fields are checked and returned.
 */
export function validateFields(
  fields: EntityFields,
  input: Record<string, unknown>,
  mode: ValidateMode,
): { value: Record<string, unknown>; errors?: FieldErrors } {
  const errors: FieldErrors = {};
  const value: Record<string, unknown> = {};
  // own keys only: `constructor` or `__proto__` in a body are unknown fields like any other
  for (const key of Object.keys(input))
    if (!Object.prototype.hasOwnProperty.call(fields, key))
      Object.defineProperty(errors, key, { value: MESSAGES.unknown, enumerable: true, writable: true, configurable: true });
  for (const [name, def] of Object.entries(fields)) {
    const given = input[name];
    if (given === undefined || given === null) {
      if (mode === 'update' && given === undefined) continue;
      const hasDefault = def.default !== undefined && def.default !== null;
      if (def.required && !hasDefault && !('auto' in def && def.auto)) {
        errors[name] = MESSAGES.required;
        continue;
      }
      if (def.type === 'record' && !('default' in def) && given === undefined) {
        const r = checkValue(def, {});
        if (r.error !== undefined) errors[name] = r.error;
        else value[name] = r.value;
        continue;
      }
      value[name] = given === null && mode === 'update' ? null : cloneDefault(def.default);
      continue;
    }
    const r = checkValue(def, given);
    if (r.error !== undefined) errors[name] = r.error;
    else value[name] = r.value;
  }
  return Object.keys(errors).length ? { value, errors } : { value };
}

function cloneDefault(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'function') return (v as () => unknown)();
  return Array.isArray(v) ? [...v] : v;
}

/**
 * Form-urlencoded values arrive as strings; Kong coerces them by the schema ("80" -> 80, "true" -> true,
 * a single value -> a one-element array). Values that cannot be coerced are left as they are, so that
 * validation names the field.
 */
export function coerceFormValues(fields: EntityFields, input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(input)) {
    const def = fields[key];
    out[key] = def ? coerceValue(def, raw) : raw;
  }
  return out;
}

function coerceValue(def: FieldDef, raw: unknown): unknown {
  if (raw === '' && def.type !== 'string') return null;
  switch (def.type) {
    case 'integer':
      return typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    case 'number':
      return typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'array':
    case 'set': {
      const list = Array.isArray(raw) ? raw : raw !== null && typeof raw === 'object' ? Object.values(raw) : [raw];
      return list.map((el) => coerceValue(def.elements, el));
    }
    case 'map':
      if (raw !== null && typeof raw === 'object' && !Array.isArray(raw))
        return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, coerceValue(def.values, v)]));
      return raw;
    case 'record':
      return isPlainObject(raw) ? coerceFormValues(def.fields, expandShorthands(def, raw)) : raw;
    default:
      return raw;
  }
}

/**
 * Validates one value against a definition (coercing form strings first when asked): a plugin's config
 * against its record, for example. Returns the normalised value or the errors for that value.
 */
export function validateValue(def: FieldDef, value: unknown, fromForm = false): { value?: unknown; error?: FieldErrors[string] } {
  return checkValue(def, fromForm ? coerceValue(def, value) : value);
}
