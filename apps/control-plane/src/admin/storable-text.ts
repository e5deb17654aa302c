// Postgres cannot store every JavaScript string: jsonb and text refuse a NUL character (\u0000) and a
// UTF-16 surrogate without its pair (a JSON body may spell both as escapes, a form body NUL as %00).
// Such a body is refused up front with a schema violation naming the field, instead of failing in the
// database with a 500 after part of the request ran. So is a `__proto__` key: assigning it anywhere
// downstream would swap an object's prototype instead of setting a field.
import { schemaViolation, type ArchwayError } from '@archway/schema';

// eslint-disable-next-line no-control-regex -- a NUL is exactly what this finds
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const UNSTORABLE_MESSAGE = 'must not contain a NUL character or an unpaired UTF-16 surrogate';
export const PROTO_MESSAGE = "must not contain the key '__proto__'";

/** `{ [field]: message }`, also when the field is `__proto__` (a plain assignment would set the prototype). */
function violation(field: string, message: string): ArchwayError {
  const fields = {};
  Object.defineProperty(fields, field, { value: message, enumerable: true, writable: true, configurable: true });
  return schemaViolation(fields);
}

const bad = (s: string) => UNSTORABLE.test(s);

/**
 * The first top-level field whose value (at any depth, keys included) holds unstorable text or a
 * `__proto__` key, as a schema violation; null when the body is fine. Iterative, so deeply nested bodies cannot overflow.
 */
export function unstorableText(body: Record<string, unknown>): ArchwayError | null {
  for (const [field, value] of Object.entries(body)) {
    if (bad(field)) return violation(field, UNSTORABLE_MESSAGE);
    if (field === '__proto__') return violation(field, 'unknown field');
    const stack: unknown[] = [value];
    while (stack.length) {
      const v = stack.pop();
      if (typeof v === 'string') {
        if (bad(v)) return violation(field, UNSTORABLE_MESSAGE);
      } else if (v !== null && typeof v === 'object') {
        for (const [k, child] of Object.entries(v)) {
          if (bad(k)) return violation(field, UNSTORABLE_MESSAGE);
          if (k === '__proto__') return violation(field, PROTO_MESSAGE);
          stack.push(child);
        }
      }
    }
  }
  return null;
}
