// Entity tags for optimistic writes: every single-entity answer carries `ETag: "<sha256>"`, and a
// PATCH, PUT or DELETE with `If-Match` goes ahead only if the entity, locked in the write's own
// transaction, still has that tag (RFC 9110 strong comparison; `*` means "exists"). The tag covers
// the entity as stored: write-only (transient) fields such as a certificate's `snis`, which are entities
// of their own, are left out, so the answer to a write and the row the next write locks agree.
import { HttpException } from '@nestjs/common';
import { entityEtag, entitySchema, type EntityName } from '@archway/schema';
import { currentIfMatch } from './request-context';

export const PRECONDITION_FAILED_MESSAGE = 'Precondition failed: the entity changed since you read it';

/** The ETag header value of an entity of `kind`. */
export function etagOf(kind: EntityName, entity: object): string {
  const transient = entitySchema(kind).transient ?? [];
  if (transient.length === 0) return `"${entityEtag(entity)}"`;
  const stored: Record<string, unknown> = { ...entity };
  for (const field of transient) delete stored[field];
  return `"${entityEtag(stored)}"`;
}

/** `*` or the listed tags; weak tags (`W/"…"`) are kept as written, so they never match strongly. */
export type IfMatch = { any: true } | { any: false; tags: string[] };

export function parseIfMatch(header: string | null): IfMatch | null {
  if (header === null) return null;
  const value = header.trim();
  if (value === '*') return { any: true };
  const tags = value.match(/(?:W\/)?"[^"]*"/g) ?? [];
  // a malformed header matches nothing rather than everything
  return { any: false, tags };
}

/** Whether the precondition holds for `current` (null: there is no such entity). */
export function ifMatchHolds(cond: IfMatch, kind: EntityName, current: object | null): boolean {
  if (current === null) return false;
  return cond.any || cond.tags.includes(etagOf(kind, current));
}

export function preconditionFailed(): HttpException {
  return new HttpException(PRECONDITION_FAILED_MESSAGE, 412);
}

/** Single-entity answers (not lists, not empty DELETE answers) are the ones that get an ETag. */
export function isSingleEntity(body: unknown): body is { id: string } {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && typeof (body as { id?: unknown }).id === 'string' && !('data' in body);
}

/**
 * The request's If-Match, checked against the entity a write has just locked (null: there is none);
 * throws 412 when it does not hold. Called inside the write transaction, after the row lock, so two
 * clients that read the same ETag cannot both win.
 */
export function checkIfMatch(kind: EntityName, locked: object | null): void {
  const cond = parseIfMatch(currentIfMatch());
  if (cond && !ifMatchHolds(cond, kind, locked)) throw preconditionFailed();
}
