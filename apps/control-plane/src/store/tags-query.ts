// Kong's /tags: every (tag, entity) pair over all entity tables, in one query. Rows are ordered by
// (tag, entity_name, entity_id), and the offset token is the last row's triple, so pages stay stable
// while entities come and go.
import { invalidOffset, isUuid, type EntityName } from '@archway/schema';

export interface TagRow {
  tag: string;
  entity_name: EntityName;
  entity_id: string;
}

export interface TagPageQuery {
  size: number;
  offset?: string;
  /** only this tag (GET /tags/{tag}) */
  tag?: string;
}

type RawQuery = (sql: string, params: unknown[]) => Promise<TagRow[]>;

function encodeOffset(row: TagRow): string {
  return Buffer.from(JSON.stringify([row.tag, row.entity_name, row.entity_id])).toString('base64url');
}

function decodeOffset(token: string, kinds: readonly EntityName[]): [string, string, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      typeof parsed[0] === 'string' &&
      kinds.includes(parsed[1] as EntityName) &&
      isUuid(parsed[2])
    )
      return parsed as [string, string, string];
  } catch {
    // fall through to the Kong-shaped error
  }
  throw invalidOffset(token);
}

/** One page of tag rows; `kinds` are the entity tables (their names are Kong's entity names). */
export async function pageTags(query: RawQuery, kinds: readonly EntityName[], q: TagPageQuery): Promise<{ data: TagRow[]; offset: string | null }> {
  // table names come from the schemas, never from the request
  const union = kinds
    .map((k) => `SELECT unnest(tags) AS tag, '${k}'::text AS entity_name, id::text AS entity_id FROM "${k}"`)
    .join(' UNION ALL ');
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.tag !== undefined) {
    params.push(q.tag);
    where.push(`tag = $${params.length}`);
  }
  if (q.offset !== undefined) {
    params.push(...decodeOffset(q.offset, kinds));
    const n = params.length;
    where.push(`(tag, entity_name, entity_id) > ($${n - 2}::text, $${n - 1}::text, $${n}::text)`);
  }
  params.push(q.size + 1);
  const sql =
    `SELECT tag, entity_name, entity_id FROM (${union}) AS t` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY tag, entity_name, entity_id LIMIT $${params.length}`;
  const rows = await query(sql, params);
  const more = rows.length > q.size;
  const data = rows.slice(0, q.size);
  return { data, offset: more ? encodeOffset(data[data.length - 1]) : null };
}
