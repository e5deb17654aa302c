// Database errors a user caused become Kong's 409/400 bodies (kong/db/errors.lua); anything else is
// rethrown and becomes a logged 500.
import { ArchwayError, ErrorCodes, type EntityName } from '@archway/schema';
import { QueryFailedError } from 'typeorm';
import type { TableSpec } from './table-spec';

/** Kong renders keys as `{name="x"}`, foreign keys as `{id="…"}`, composite ones `{consumer={id="…"},group="x"}`. */
function kongKey(value: unknown): string {
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}=${kongKey(v)}`)
      .join(',')}}`;
  return JSON.stringify(value ?? null);
}

export function translateDbError(err: unknown, spec: TableSpec, entity?: Record<string, unknown>): never {
  if (!(err instanceof QueryFailedError)) throw err;
  const pg = err.driverError as { code?: string; constraint?: string; table?: string };
  if (pg.code === '23505') {
    const unique = spec.uniques.find((u) => u.name === pg.constraint);
    const fields = unique?.fields ?? ['id'];
    const shown = Object.fromEntries(fields.map((f) => [f, entity?.[f] ?? null]));
    throw new ArchwayError(ErrorCodes.UNIQUE_VIOLATION, `UNIQUE violation detected on '${kongKey(shown)}'`, shown);
  }
  // PostgreSQL 18 reports ON DELETE RESTRICT as 23001 (restrict_violation), older versions as 23503
  if ((pg.code === '23503' || pg.code === '23001') && pg.table && pg.table !== spec.table) {
    throw new ArchwayError(
      ErrorCodes.FOREIGN_KEY_VIOLATION,
      `an existing '${pg.table}' entity references this '${spec.table}' entity`,
      { '@referenced_by': pg.table },
    );
  }
  if (pg.code === '23503') {
    const fk = spec.foreign.find((f) => pg.constraint === `${spec.table}_${f.column}_fkey`);
    if (fk) {
      const key = entity?.[fk.field] ?? null;
      throw new ArchwayError(
        ErrorCodes.FOREIGN_KEY_VIOLATION,
        `the foreign key '${kongKey(key)}' does not reference an existing '${fk.parent as EntityName}' entity.`,
        { [fk.field]: key },
      );
    }
  }
  throw err;
}
