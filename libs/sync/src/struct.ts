// JSON values <-> google.protobuf.Struct, for plugin configs. A Struct number is a double: JavaScript's
// numbers are doubles too, so every value round-trips exactly (60 stays 60, 0.1 stays 0.1, -0 stays -0),
// and the canonical JSON (which prints numbers as JavaScript does) hashes the same on both planes.
import type { ListValue__Output } from './generated/google/protobuf/ListValue';
import type { Struct, Struct__Output } from './generated/google/protobuf/Struct';
import type { Value, Value__Output } from './generated/google/protobuf/Value';
import { badSnapshot } from './convert-values';

function toValue(v: unknown, path: string): Value {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'boolean':
      return { boolValue: v };
    case 'number':
      // JSON has no NaN or Infinity; validated configs never hold them
      if (!Number.isFinite(v)) throw badSnapshot(`${path}: ${v} is not a JSON number`);
      return { numberValue: v };
    case 'object':
      // array elements that are undefined become null, as in JSON.stringify
      if (Array.isArray(v)) return { listValue: { values: v.map((e, i) => toValue(e, `${path}[${i}]`)) } };
      return { structValue: toStruct(v as Record<string, unknown>, path) };
    default:
      throw badSnapshot(`${path}: a ${typeof v} is not a JSON value`);
  }
}

/** A JSON object as a Struct; keys whose value is undefined are left out, as JSON leaves them out. */
export function toStruct(obj: Record<string, unknown>, path = 'config'): Struct {
  const fields: Record<string, Value> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) fields[k] = toValue(v, `${path}.${k}`);
  return { fields };
}

function fromValue(v: Value__Output, path: string): unknown {
  switch (v.kind) {
    case 'nullValue':
      return null;
    case 'numberValue':
      return v.numberValue;
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'structValue':
      return fromStruct(v.structValue as Struct__Output, path);
    case 'listValue':
      return (v.listValue as ListValue__Output).values.map((e, i) => fromValue(e, `${path}[${i}]`));
    default:
      throw badSnapshot(`${path}: a google.protobuf.Value with no kind set`);
  }
}

/** A Struct as a plain JSON object (built with fromEntries, so a `__proto__` key stays a plain key). */
export function fromStruct(s: Struct__Output, path = 'config'): Record<string, unknown> {
  return Object.fromEntries(Object.entries(s.fields).map(([k, v]) => [k, fromValue(v, `${path}.${k}`)]));
}
