// Shared encodings of the JSON model's nullable values (see snapshot.proto): null is an absent optional
// or an absent wrapper message, so that null and "empty" survive the wire as themselves.
import type { ForeignKey } from '@archway/schema';
import type { ForeignKey as ForeignKeyMsg, ForeignKey__Output } from './generated/archway/sync/v1/ForeignKey';
import type { HeaderMap, HeaderMap__Output } from './generated/archway/sync/v1/HeaderMap';
import type { StringList, StringList__Output } from './generated/archway/sync/v1/StringList';

export function badSnapshot(message: string): Error {
  return Object.assign(new Error(message), { code: 'ARCHWAY_SYNC_BAD_SNAPSHOT' });
}

// ---- to the wire ----

export const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
export const list = (v: readonly string[] | null): StringList | undefined => (v === null ? undefined : { values: [...v] });
export const fk = (v: ForeignKey | null): ForeignKeyMsg | undefined => (v === null ? undefined : { id: v.id });

export function headerMap(v: Record<string, string[]> | null): HeaderMap | undefined {
  if (v === null) return undefined;
  const values: Record<string, StringList> = {};
  for (const [name, accepted] of Object.entries(v)) values[name] = { values: [...accepted] };
  return { values };
}

// ---- from the wire ----

export const nul = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
export const unlist = (v: StringList__Output | null): string[] | null => (v === null ? null : [...v.values]);
export const unfk = (v: ForeignKey__Output | null): ForeignKey | null => (v === null ? null : { id: v.id });

/** int64 fields arrive as decimal strings (longs: String); Archway's numbers stay below 2^53. */
export function int(v: string | number, field: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw badSnapshot(`${field}: ${v} is not a safe integer`);
  return n;
}

export function unheaders(v: HeaderMap__Output | null): Record<string, string[]> | null {
  if (v === null) return null;
  return Object.fromEntries(Object.entries(v.values).map(([name, accepted]) => [name, [...accepted.values]]));
}

/** A required reference (a credential's consumer): absent comes back null, which validation rejects by name. */
export const unfkRequired = (v: ForeignKey__Output | null): ForeignKey => unfk(v) as ForeignKey;

/** The fields every entity has, decoded. */
export function stamps(m: { id: string; created_at: string; updated_at: string }, kind: string) {
  return { id: m.id, created_at: int(m.created_at, `${kind}.created_at`), updated_at: int(m.updated_at, `${kind}.updated_at`) };
}
