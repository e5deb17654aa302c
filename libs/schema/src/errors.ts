// Kong's error table (kong/db/errors.lua, kong/api/endpoints.lua ERRORS_HTTP_CODES), once.
// Callers branch on `code`, never on message text.

export const ErrorCodes = {
  SCHEMA_VIOLATION: 2,
  PRIMARY_KEY_VIOLATION: 3,
  FOREIGN_KEY_VIOLATION: 4,
  UNIQUE_VIOLATION: 5,
  NOT_FOUND: 6,
  INVALID_OFFSET: 7,
  DATABASE_ERROR: 8,
  INVALID_SIZE: 9,
  INVALID_OPTIONS: 11,
  OPERATION_UNSUPPORTED: 12,
  DECLARATIVE_CONFIG: 14,
  REFERENCED_BY_OTHERS: 19,
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const NAMES: Record<ErrorCode, string> = {
  2: 'schema violation',
  3: 'primary key violation',
  4: 'foreign key violation',
  5: 'unique constraint violation',
  6: 'not found',
  7: 'invalid offset',
  8: 'database error',
  9: 'invalid size',
  11: 'invalid options',
  12: 'operation unsupported',
  14: 'invalid declarative configuration',
  19: 'referenced by others',
};

const HTTP_STATUS: Record<ErrorCode, number> = {
  2: 400,
  3: 400,
  4: 400,
  5: 409,
  6: 404,
  7: 400,
  8: 500,
  9: 400,
  11: 400,
  12: 405,
  14: 400,
  19: 400,
};

/** Field errors as Kong nests them: a message per field, nested records for sub-fields, `@entity` for cross-field rules. */
export interface FieldErrors {
  [field: string]: string | string[] | FieldErrors | (string | FieldErrors | null)[];
}

export interface KongErrorBody {
  code: ErrorCode;
  name: string;
  message: string;
  fields?: FieldErrors | Record<string, unknown>;
}

/** The one base class for errors that reach a user: a stable numeric Kong code and a message saying what to do. */
export class ArchwayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: FieldErrors | Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ArchwayError';
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }

  toBody(): KongErrorBody {
    const body: KongErrorBody = { code: this.code, name: NAMES[this.code], message: this.message };
    if (this.fields !== undefined) body.fields = this.fields;
    return body;
  }
}

function flatten(fields: FieldErrors, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    const name = key === '@entity' ? '' : prefix + key;
    if (typeof value === 'string') out.push(name ? `${name}: ${value}` : value);
    else if (Array.isArray(value)) {
      value.forEach((v, i) => {
        if (v === null || v === undefined) return;
        if (typeof v === 'string') out.push(key === '@entity' ? v : `${name}.${i + 1}: ${v}`);
        else out.push(...flatten(v, `${name}.${i + 1}.`));
      });
    } else out.push(...flatten(value, `${name}.`));
  }
  return out;
}

/** Kong's wording: "schema violation (port: value should be between 0 and 65535)", "2 schema violations (...; ...)". */
export function schemaViolation(fields: FieldErrors): ArchwayError {
  const parts = flatten(fields);
  const head = parts.length === 1 ? 'schema violation' : `${parts.length} schema violations`;
  return new ArchwayError(ErrorCodes.SCHEMA_VIOLATION, `${head} (${parts.join('; ')})`, fields);
}

/** 409 body, e.g. UNIQUE violation detected on '{name="hello"}'. */
export function uniqueViolation(field: string, value: unknown): ArchwayError {
  return new ArchwayError(
    ErrorCodes.UNIQUE_VIOLATION,
    `UNIQUE violation detected on '{${field}=${JSON.stringify(value)}}'`,
    { [field]: value },
  );
}

/** 400 body for a reference to an entity that does not exist, e.g. the service of a route. */
export function foreignKeyViolation(field: string, key: Record<string, unknown>, parent: string): ArchwayError {
  const shown = Object.entries(key)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return new ArchwayError(
    ErrorCodes.FOREIGN_KEY_VIOLATION,
    `the foreign key '{${shown}}' does not reference an existing '${parent}' entity.`,
    { [field]: key },
  );
}

export function invalidOffset(offset: string): ArchwayError {
  return new ArchwayError(ErrorCodes.INVALID_OFFSET, `'${offset}' is not a valid offset: bad base64 encoding`);
}

export function invalidSize(message: string): ArchwayError {
  return new ArchwayError(ErrorCodes.INVALID_SIZE, message);
}
