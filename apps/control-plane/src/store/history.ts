// Config history: every change of every version (who, which entity, before and after), kept for
// `retention` versions. Rolling back to version v undoes, newest first, every change made after v,
// inside one new write, so the rollback is itself a version with its own history.
import { ArchwayError, ErrorCodes, type EntityName } from '@archway/schema';
import type { EntityManager } from 'typeorm';
import type { Change, Entity, EntityStore, WriteTx } from './entity-store';

/** One INSERT of every change, as seven arrays (any number of changes, seven parameters). */
export async function recordChanges(em: EntityManager, version: number, actor: string | null, changes: Change[]): Promise<void> {
  await em.query(
    `INSERT INTO config_changes (version, entity, entity_id, op, before, after, actor)
     SELECT $1, entity, entity_id, op, before, after, $2
       FROM unnest($3::text[], $4::uuid[], $5::text[], $6::jsonb[], $7::jsonb[]) AS c(entity, entity_id, op, before, after)`,
    [
      version,
      actor,
      changes.map((c) => c.entity),
      changes.map((c) => c.entity_id),
      changes.map((c) => c.op),
      changes.map((c) => (c.before ? JSON.stringify(c.before) : null)),
      changes.map((c) => (c.after ? JSON.stringify(c.after) : null)),
    ],
  );
}

export interface VersionSummary {
  version: number;
  created_at: number;
  actor: string | null;
  changes: number;
  entities: string[];
}

export interface VersionChange {
  entity: EntityName;
  id: string;
  op: Change['op'];
  before: Entity | null;
  after: Entity | null;
}

const notKept = (v: number) =>
  new ArchwayError(ErrorCodes.NOT_FOUND, `config version ${v} is not in the history (it is older than what is kept, or was never written)`);

export class ConfigHistory {
  constructor(
    private readonly em: EntityManager,
    private readonly store: EntityStore,
    /** how many versions to keep; older changes are pruned after each write */
    private readonly retention: number,
  ) {}

  /** Newest first; `before` pages backwards. */
  async list(size: number, before?: number): Promise<VersionSummary[]> {
    const rows: { version: string; at: Date; actor: string | null; changes: string; entities: string[] }[] = await this.em.query(
      `SELECT version, min(at) AS at, min(actor) AS actor, count(*) AS changes, array_agg(DISTINCT entity) AS entities
         FROM config_changes ${before !== undefined ? 'WHERE version < $2' : ''}
        GROUP BY version ORDER BY version DESC LIMIT $1`,
      before !== undefined ? [size, before] : [size],
    );
    return rows.map((r) => ({
      version: Number(r.version),
      created_at: Math.floor(new Date(r.at).getTime() / 1000),
      actor: r.actor,
      changes: Number(r.changes),
      entities: r.entities,
    }));
  }

  /** What version v changed, in the order it changed it. */
  async diff(v: number): Promise<VersionChange[]> {
    const rows: { entity: EntityName; entity_id: string; op: Change['op']; before: Entity | null; after: Entity | null }[] =
      await this.em.query(`SELECT entity, entity_id, op, before, after FROM config_changes WHERE version = $1 ORDER BY id`, [v]);
    if (rows.length === 0) throw notKept(v);
    return rows.map((r) => ({ entity: r.entity, id: r.entity_id, op: r.op, before: r.before, after: r.after }));
  }

  /** Restores the config as it was at version v, as a new version. Returns that version (null if nothing changed). */
  async rollback(v: number, actor: string | null): Promise<number | null> {
    const { version } = await this.store.write(async (tx) => {
      const [{ current, history_from }] = (await tx.raw('SELECT version AS current, history_from FROM config_version WHERE id = 1 FOR UPDATE')) as {
        current: string;
        history_from: string;
      }[];
      if (!Number.isInteger(v) || v < Number(history_from) || v > Number(current)) throw notKept(v);
      const undo = (await tx.raw(
        `SELECT entity, entity_id, op, before, after FROM config_changes WHERE version > $1 ORDER BY id DESC`,
        [v],
      )) as { entity: EntityName; entity_id: string; op: Change['op']; before: Entity | null; after: Entity | null }[];
      for (let i = 0; i < undo.length; ) {
        // a run of creations is undone in one deleteMany per kind (a bulk import is thousands)
        let end = i;
        while (end < undo.length && undo[end].op === 'create') end++;
        if (end > i) {
          await tx.deleteInOrder(undo.slice(i, end).map((c) => ({ kind: c.entity, id: c.entity_id })));
          i = end;
        } else await undoChange(tx, undo[i++]);
      }
      return { result: undefined, changed: undo.length > 0 };
    }, actor);
    return version;
  }

  /** Drops changes older than the retention window and moves `history_from` up to match. */
  async prune(): Promise<void> {
    await this.em.query(
      `WITH cut AS (SELECT version - $1 AS v FROM config_version WHERE id = 1)
       , gone AS (DELETE FROM config_changes WHERE version <= (SELECT v FROM cut))
       UPDATE config_version SET history_from = GREATEST(history_from, (SELECT v FROM cut)) WHERE id = 1`,
      [this.retention],
    );
  }
}

/** Undoes an update or a delete (creations are undone in runs by rollback). */
async function undoChange(tx: WriteTx, c: { entity: EntityName; entity_id: string; op: Change['op']; before: Entity | null }) {
  if (c.op === 'update' && c.before) await tx.update(c.entity, c.before);
  else if (c.op === 'delete' && c.before && !(await tx.find(c.entity, c.entity_id))) await tx.insert(c.entity, c.before);
}
