// Spec helpers: the schema violation a call throws, so a spec can assert its message and fields.
// A call that throws nothing, or throws something other than an ArchwayError, fails the spec.
import { ArchwayError } from '../errors';

export function violationOf(fn: () => unknown): ArchwayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ArchwayError) return err;
    throw err;
  }
  throw new Error('expected a schema violation');
}

/** The per-field errors of the violation `fn` throws (Kong's `fields`). */
export function fieldsOf(fn: () => unknown): ArchwayError['fields'] {
  return violationOf(fn).fields;
}
