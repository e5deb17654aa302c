// Element shapes of request-transformer and response-transformer (their schema.lua files), with
// Kong's messages: `name:value` entries, header names checked.
import type { FieldDef } from '@archway/schema';
import { headerNameError } from './typedefs';

/** `name:value` with a non-empty value (Kong's check_for_value). */
export function colonValueError(v: string): string | null {
  const i = v.indexOf(':');
  const name = i < 0 ? v : v.slice(0, i);
  const value = i < 0 ? '' : v.slice(i + 1).replace(/^:+/, '');
  return name === '' || value === '' ? `key '${name}' has no value` : null;
}

/** `header:value` (Kong's `match = "^[^:]+:.*$"` then validate_colon_headers). */
export function colonHeaderError(v: string): string | null {
  const i = v.indexOf(':');
  if (i <= 0) return `invalid value: ${v}`;
  return headerNameError(v.slice(0, i));
}

const array = (elements: FieldDef): FieldDef => ({ type: 'array', required: true, default: [], elements });

export const strings = array({ type: 'string' });
export const headerNames = array({ type: 'string', check: headerNameError });
export const colonStrings = array({ type: 'string', check: colonValueError });
export const colonHeaders = array({ type: 'string', check: colonHeaderError });
export const jsonTypes = array({ type: 'string', oneOf: ['boolean', 'number', 'string'] });
