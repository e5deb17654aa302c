// What changed in the config since a version, in one statement (so one round trip and one consistent
// view of the database, with no transaction around it). The config history is the change log: every
// write records each entity it touched under the version it committed as, in the same transaction
// that advances the version, and the version row is the writers' lock, so a version is visible only
// with every version before it, and all of its changes with it. The history vouches for the versions
// after `history_from` (older ones are pruned); when it cannot vouch for all of them, say so, and the
// caller reads everything.
import type { EntityName } from '@archway/schema';
import type { Entity } from './entity-store';

/** One entity written since the version asked about: its row now, or null when the row is gone. */
export interface ChangedRow {
  kind: EntityName;
  /** the id as the uuid column gives it (lower case) */
  id: string;
  data: Entity | null;
  /** the row's revision (xmin), null when the row is gone */
  rev: string | null;
}

export type ChangedRows =
  | { complete: true; version: number; rows: ChangedRow[] }
  /** the history does not hold every change after the version asked about (pruned, or missing) */
  | { complete: false; version: number };

type Query = (sql: string, params?: unknown[]) => Promise<unknown[]>;

const sqlByKinds = new Map<string, string>();

function changesSql(kinds: readonly EntityName[]): string {
  const cacheKey = kinds.join(',');
  let sql = sqlByKinds.get(cacheKey);
  if (sql) return sql;
  const rows = kinds.map(
    (kind) =>
      `SELECT '${kind}' AS kind, c.entity_id::text AS id, t.data, t.xmin::text AS rev, NULL::text AS version, NULL::text AS history_from, NULL::text AS versions
         FROM ids c LEFT JOIN "${kind}" t ON t.id = c.entity_id WHERE c.entity = '${kind}'`,
  );
  sql = `WITH v AS (SELECT version, history_from FROM config_version WHERE id = 1),
  c AS (SELECT ch.version, ch.entity, ch.entity_id FROM config_changes ch, v WHERE ch.version > $1 AND ch.version <= v.version),
  ids AS (SELECT DISTINCT entity, entity_id FROM c)
SELECT NULL AS kind, (SELECT count(*) FROM ids)::text AS id, NULL::jsonb AS data, NULL AS rev, v.version::text, v.history_from::text, (SELECT count(DISTINCT version) FROM c)::text AS versions FROM v
${rows.map((r) => `UNION ALL ${r}`).join('\n')}`;
  sqlByKinds.set(cacheKey, sql);
  return sql;
}

interface Row {
  kind: EntityName | null;
  id: string | null;
  data: Entity | null;
  rev: string | null;
  version: string | null;
  history_from: string | null;
  versions: string | null;
}

/** The rows of `kinds` written after version `since`, read at the current version. */
export async function readChangedRows(query: Query, kinds: readonly EntityName[], since: number): Promise<ChangedRows> {
  const result = (await query(changesSql(kinds), [since])) as Row[];
  const meta = result.find((r) => r.kind === null);
  if (!meta) throw new Error('config_version has no row: run the migrations');
  const version = Number(meta.version);
  // every version in (since, version] wrote at least one change: a missing one means missing history
  if (since < Number(meta.history_from) || Number(meta.versions) !== Math.max(0, version - since)) return { complete: false, version };
  const rows: ChangedRow[] = [];
  for (const r of result) if (r.kind !== null) rows.push({ kind: r.kind, id: r.id as string, data: r.data, rev: r.rev });
  // (the meta row's id is how many entities the history names: one of a kind not in `kinds` was not read)
  if (rows.length !== Number(meta.id)) return { complete: false, version };
  return { complete: true, version, rows };
}
