// Query arguments of a list endpoint, validated as Kong does: size, offset and tags.
import { ArchwayError, ErrorCodes } from '@archway/schema';
import type { Page, TagFilter } from '../store/entity-store';
import { pageArgs } from './arguments-decoder';

export interface ListQuery {
  size: number;
  offset?: string;
  tags?: TagFilter;
  /** the query string to repeat in the `next` link (size and tags, when given) */
  carry: string;
}

const invalidTags = (why: string) => new ArchwayError(ErrorCodes.INVALID_OPTIONS, `invalid option (tags: ${why})`, { tags: why });

export function parseTags(raw: unknown): TagFilter | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw === '') throw invalidTags('must be a non-empty string');
  const and = raw.includes(',');
  const or = raw.includes('/');
  if (and && or) throw invalidTags("cannot mix the ',' (and) and '/' (or) operators");
  const tags = raw.split(and ? ',' : '/');
  if (tags.length > 5) throw invalidTags('cannot query more than 5 tags');
  if (tags.some((t) => t === '')) throw invalidTags('must not contain an empty tag');
  if (tags.some((t) => t.includes('\u0000'))) throw invalidTags('must not contain a NUL character');
  return { mode: or ? 'or' : 'and', tags };
}

export function listQuery(query: Record<string, unknown>): ListQuery {
  const { size, sizeGiven, offset } = pageArgs(query);
  const tags = parseTags(query.tags);
  let carry = sizeGiven ? `&size=${size}` : '';
  if (tags) carry += `&tags=${encodeURIComponent(query.tags as string)}`;
  return { size, offset, tags, carry };
}

/** Kong's list shape: {"data":[…],"offset":"<tok>","next":"/services?offset=<tok>&size=3"}, and next null on the last page. */
export function listBody<T>(path: string, page: Page<T>, q: ListQuery) {
  if (page.offset === null) return { data: page.data, next: null };
  return { data: page.data, offset: page.offset, next: `${path}?offset=${encodeURIComponent(page.offset)}${q.carry}` };
}
