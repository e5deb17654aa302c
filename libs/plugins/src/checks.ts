// Kong's entity checks (kong/db/schema/init.lua entity_checkers) for a plugin's config record, with
// Kong's messages. Field names in messages carry the `config.` prefix, as Kong's plugin schemas do.
import type { FieldErrors } from '@archway/schema';

type Config = Record<string, unknown>;
export type ConfigCheck = (config: Config, errors: FieldErrors) => void;

export const REQUIRED = 'required field missing';

/** Kong's is_nonempty: not null, not an empty string, array or table. */
export function isNonEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

export function getPath(config: Config, path: string): unknown {
  let v: unknown = config;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Config)[part];
  }
  return v;
}

/** Sets a nested field error, e.g. `redis.host` -> { redis: { host: msg } }. */
export function setFieldError(errors: FieldErrors, path: string, msg: string): void {
  const parts = path.split('.');
  let node = errors;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === undefined || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as FieldErrors;
  }
  node[parts[parts.length - 1]] = msg;
}

export function entityError(errors: FieldErrors, msg: string): void {
  const list = (errors['@entity'] ??= []) as string[];
  list.push(msg);
}

const quoted = (fields: readonly string[]) => fields.map((f) => `'config.${f}'`).join(', ');

export function atLeastOneOf(...fields: string[]): ConfigCheck {
  return (config, errors) => {
    if (!fields.some((f) => isNonEmpty(getPath(config, f))))
      entityError(errors, `at least one of these fields must be non-empty: ${quoted(fields)}`);
  };
}

export function onlyOneOf(...fields: string[]): ConfigCheck {
  return (config, errors) => {
    if (fields.filter((f) => isNonEmpty(getPath(config, f))).length > 1)
      entityError(errors, `only one of these fields must be non-empty: ${quoted(fields)}`);
  };
}

/** Kong's `conditional` with `then_match = { required = true }` when `ifField` equals `value`. */
export function requiredWhen(ifField: string, value: unknown, thenField: string): ConfigCheck {
  return (config, errors) => {
    if (getPath(config, ifField) !== value) return;
    const then = getPath(config, thenField);
    if (then !== undefined && then !== null) return;
    setFieldError(errors, thenField, REQUIRED);
    entityError(errors, `failed conditional validation given value of field 'config.${ifField}'`);
  };
}

/**
 * A record check running Kong-style entity checks and then, if they pass, a custom validator whose
 * message Kong reports on the config record itself.
 */
export function configChecks(
  list: readonly ConfigCheck[],
  custom?: (config: Config) => string | null,
): (config: Config) => FieldErrors | string | null {
  return (config) => {
    const errors: FieldErrors = {};
    for (const check of list) check(config, errors);
    if (Object.keys(errors).length) return errors;
    return custom?.(config) ?? null;
  };
}

/** `custom_fields_by_lua` is part of Kong's logging schemas, but Archway runs no Lua: refuse a non-empty one loudly. */
export const noLuaCode: ConfigCheck = (config, errors) => {
  if (isNonEmpty(config.custom_fields_by_lua))
    setFieldError(errors, 'custom_fields_by_lua', 'not supported: Archway does not run Lua code');
};
