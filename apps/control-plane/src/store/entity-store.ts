// All database access for config entities, for every entity alike (layout from table-spec.ts). One
// transaction writes the entities and advances the config version (the version row is the writers'
// lock, so versions are gapless and in commit order); NOTIFY in the same transaction tells every
// control-plane replica after commit.
import { invalidOffset, isUuid, type EntityName } from '@archway/schema';
import type { DataSource, EntityManager } from 'typeorm';
import { readChangedRows, type ChangedRows } from './changed-rows';
import { translateDbError } from './db-errors';
import { recordChanges } from './history';
import { rowValues, type TableSpec } from './table-spec';
import { pageTags, type TagPageQuery, type TagRow } from './tags-query';

export type Entity = Record<string, unknown> & { id: string };

export const CONFIG_CHANNEL = 'archway_config';

/** Restricts a lookup or list to the children of one parent, e.g. the routes of a service. */
export interface Scope {
  field: string;
  id: string;
}

/** `?tags=a,b` (every tag) or `?tags=a/b` (any tag). */
export interface TagFilter {
  mode: 'and' | 'or';
  tags: string[];
}

export interface PageQuery {
  size: number;
  offset?: string;
  scope?: Scope;
  tags?: TagFilter;
}

export interface Page<T> {
  data: T[];
  /** opaque token for the next page, null on the last page */
  offset: string | null;
}

function encodeOffset(id: string): string {
  return Buffer.from(JSON.stringify([id])).toString('base64url');
}

function decodeOffset(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && isUuid(parsed[0])) return parsed[0];
  } catch {
    // fall through to the Kong-shaped error
  }
  throw invalidOffset(token);
}

type Query = (sql: string, params?: unknown[]) => Promise<{ data: Entity }[]>;

// eslint-disable-next-line no-control-regex -- a NUL is exactly what this finds
const UNSTORABLE_KEY = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

class Tables {
  constructor(readonly specs: ReadonlyMap<EntityName, TableSpec>) {}

  /** The tables whose rows go when a row of `kind` goes (ON DELETE CASCADE), with the column naming it. */
  cascadesOf(kind: EntityName): { table: EntityName; column: string }[] {
    const out: { table: EntityName; column: string }[] = [];
    for (const spec of this.specs.values())
      for (const fk of spec.foreign) if (fk.parent === kind && fk.onDelete === 'cascade') out.push({ table: spec.schema.name, column: fk.column });
    return out;
  }

  spec(kind: EntityName): TableSpec {
    const spec = this.specs.get(kind);
    if (!spec) throw new Error(`no table for entity '${kind}'`);
    return spec;
  }

  /** WHERE clause finding one entity by id or endpoint key, within an optional scope. */
  lookup(kind: EntityName, idOrKey: string, scope?: Scope): { where: string; params: unknown[] } | null {
    const spec = this.spec(kind);
    // no stored key holds text Postgres cannot store (a NUL, a lone surrogate), and asking would fail
    if (UNSTORABLE_KEY.test(idOrKey)) return null;
    const params: unknown[] = [idOrKey];
    let where: string;
    if (isUuid(idOrKey)) where = 'id = $1';
    else if (spec.schema.endpointKey) where = `"${spec.schema.endpointKey}" = $1`;
    else return null;
    if (scope) {
      params.push(scope.id);
      where += ` AND "${scope.field}_id" = $2`;
    }
    return { where, params };
  }

  async find(query: Query, kind: EntityName, idOrKey: string, scope?: Scope, lock = false): Promise<Entity | null> {
    const l = this.lookup(kind, idOrKey, scope);
    if (!l) return null;
    const rows = await query(`SELECT data FROM "${kind}" WHERE ${l.where}${lock ? ' FOR UPDATE' : ''}`, l.params);
    return rows[0]?.data ?? null;
  }
}

/** One entity's change within a version, as the history keeps it. */
export interface Change {
  entity: EntityName;
  entity_id: string;
  op: 'create' | 'update' | 'delete';
  before: Entity | null;
  after: Entity | null;
}

/** Reads and writes inside one write transaction; every change is recorded for the history. */
export class WriteTx {
  readonly #query: Query;
  readonly changes: Change[] = [];

  constructor(
    private readonly em: EntityManager,
    private readonly tables: Tables,
  ) {
    this.#query = (sql, params) => em.query(sql, params);
  }

  find(kind: EntityName, idOrKey: string, scope?: Scope): Promise<Entity | null> {
    return this.tables.find(this.#query, kind, idOrKey, scope, true);
  }

  /** A query of the store's own tables (history, version clock) inside this transaction. */
  raw(sql: string, params?: unknown[]): Promise<unknown[]> {
    return this.em.query(sql, params);
  }

  /** Every entity of a kind that references `parentId` through `field` (e.g. the snis of a certificate). */
  async children(kind: EntityName, field: string, parentId: string): Promise<Entity[]> {
    const rows = await this.#query(`SELECT data FROM "${kind}" WHERE "${field}_id" = $1 ORDER BY id`, [parentId]);
    return rows.map((r) => r.data);
  }

  async insert<T extends Entity>(kind: EntityName, entity: T): Promise<T> {
    const spec = this.tables.spec(kind);
    const cols = ['id', ...spec.columns.map((c) => c.name), 'tags', 'data'];
    const values = [entity.id, ...rowValues(spec, entity)];
    const marks = values.map((_, i) => `$${i + 1}`).join(', ');
    try {
      await this.em.query(`INSERT INTO "${kind}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${marks})`, values);
    } catch (err) {
      translateDbError(err, spec, entity);
    }
    this.changes.push({ entity: kind, entity_id: entity.id, op: 'create', before: null, after: entity });
    return entity;
  }

  async update<T extends Entity>(kind: EntityName, entity: T): Promise<T> {
    const spec = this.tables.spec(kind);
    const cols = [...spec.columns.map((c) => c.name), 'tags', 'data'];
    const values = rowValues(spec, entity);
    const sets = cols.map((c, i) => `"${c}" = $${i + 2}`).join(', ');
    let rows: { before: Entity }[] = [];
    try {
      // the row as it was, read in the same statement that replaces it
      [rows] = (await this.em.query(
        `UPDATE "${kind}" AS t SET ${sets} FROM (SELECT data AS before FROM "${kind}" WHERE id = $1 FOR UPDATE) AS old WHERE t.id = $1 RETURNING old.before`,
        [entity.id, ...values],
      )) as [{ before: Entity }[], number];
    } catch (err) {
      translateDbError(err, spec, entity);
    }
    if (rows.length) this.changes.push({ entity: kind, entity_id: entity.id, op: 'update', before: rows[0].before, after: entity });
    return entity;
  }

  /**
   * Deletes one entity and, first, the children the schema cascades to (so the history holds each of
   * them and a rollback can restore them); a child that restricts makes the database refuse the delete.
   */
  async delete(kind: EntityName, id: string): Promise<boolean> {
    return (await this.deleteMany(kind, [id])) > 0;
  }

  /** Deletes `items` in their order, each run of one kind in one deleteMany. */
  async deleteInOrder(items: readonly { kind: EntityName; id: string }[]): Promise<void> {
    for (let i = 0; i < items.length; ) {
      const kind = items[i].kind;
      const ids: string[] = [];
      for (; i < items.length && items[i].kind === kind; i++) ids.push(items[i].id);
      await this.deleteMany(kind, ids);
    }
  }

  /**
   * delete() for many entities of one kind, a statement per table rather than per entity (a rollback
   * of a bulk import removes thousands). Returns how many of `ids` existed.
   */
  async deleteMany(kind: EntityName, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    for (const child of this.tables.cascadesOf(kind)) {
      const rows = (await this.em.query(`SELECT id FROM "${child.table}" WHERE "${child.column}" = ANY($1::uuid[]) ORDER BY id`, [ids])) as { id: string }[];
      if (rows.length > 0) await this.deleteMany(child.table, rows.map((r) => r.id));
    }
    let rows: { id: string; data: Entity }[] = [];
    try {
      [rows] = (await this.em.query(`DELETE FROM "${kind}" WHERE id = ANY($1::uuid[]) RETURNING id, data`, [ids])) as [{ id: string; data: Entity }[], number];
    } catch (err) {
      translateDbError(err, this.tables.spec(kind));
    }
    // in the order asked (RETURNING's order is the table's, not the caller's)
    const gone = new Map(rows.map((r) => [r.id, r.data]));
    for (const id of ids) {
      const before = gone.get(id);
      if (before !== undefined) this.changes.push({ entity: kind, entity_id: id, op: 'delete', before, after: null });
    }
    return gone.size;
  }
}

export class EntityStore {
  readonly #tables: Tables;
  readonly #query: Query;

  constructor(
    private readonly ds: DataSource,
    specs: ReadonlyMap<EntityName, TableSpec>,
  ) {
    this.#tables = new Tables(specs);
    this.#query = (sql, params) => ds.query(sql, params);
  }

  get kinds(): EntityName[] {
    return [...this.#tables.specs.keys()];
  }

  find(kind: EntityName, idOrKey: string, scope?: Scope): Promise<Entity | null> {
    return this.#tables.find(this.#query, kind, idOrKey, scope);
  }

  async page(kind: EntityName, q: PageQuery): Promise<Page<Entity>> {
    this.#tables.spec(kind);
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.offset !== undefined) {
      params.push(decodeOffset(q.offset));
      where.push(`id > $${params.length}`);
    }
    if (q.scope) {
      params.push(q.scope.id);
      where.push(`"${q.scope.field}_id" = $${params.length}`);
    }
    if (q.tags) {
      params.push(q.tags.tags);
      where.push(`tags ${q.tags.mode === 'and' ? '@>' : '&&'} $${params.length}::text[]`);
    }
    params.push(q.size + 1);
    const sql = `SELECT data FROM "${kind}"${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${params.length}`;
    const rows = await this.#query(sql, params);
    const more = rows.length > q.size;
    const data = rows.slice(0, q.size).map((r) => r.data);
    return { data, offset: more ? encodeOffset(data[data.length - 1].id) : null };
  }

  /**
   * Runs `fn` in one transaction that also advances the config version. Returns the version the
   * write committed as, or null when `fn` wrote no entity (then no version is spent; `changed` is
   * the caller's own account and no longer decides it).
   */
  async write<T>(
    fn: (tx: WriteTx) => Promise<{ result: T; changed: boolean }>,
    actor: string | null = null,
  ): Promise<{ result: T; version: number | null }> {
    return this.ds.transaction(async (em) => {
      const tx = new WriteTx(em, this.#tables);
      const { result } = await fn(tx);
      // rows written are a new version whatever `fn` reports: the snapshot builder reads the history
      // of the versions since its last build, so no write may commit without one
      if (tx.changes.length === 0) return { result, version: null };
      // (TypeORM answers an UPDATE … RETURNING with [rows, affected])
      const [rows] = (await em.query('UPDATE config_version SET version = version + 1 WHERE id = 1 RETURNING version')) as [{ version: string }[], number];
      const version = Number(rows[0].version);
      await recordChanges(em, version, actor, tx.changes);
      await em.query('SELECT pg_notify($1, $2)', [CONFIG_CHANNEL, String(version)]);
      return { result, version };
    });
  }

  /**
   * Every entity of every kind at one consistent version, with each row's revision (its xmin: it
   * changes whenever the row is written, so an unchanged revision means unchanged data).
   */
  async readConfig(): Promise<{ version: number; entities: Record<EntityName, Entity[]>; revisions: Record<EntityName, string[]> }> {
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction('REPEATABLE READ');
      const [{ version }] = (await qr.query('SELECT version FROM config_version WHERE id = 1')) as { version: string }[];
      const entities = {} as Record<EntityName, Entity[]>;
      const revisions = {} as Record<EntityName, string[]>;
      for (const kind of this.kinds) {
        const rows = (await qr.query(`SELECT data, xmin::text AS rev FROM "${kind}" ORDER BY id`)) as { data: Entity; rev: string }[];
        entities[kind] = rows.map((r) => r.data);
        revisions[kind] = rows.map((r) => r.rev);
      }
      await qr.commitTransaction();
      return { version: Number(version), entities, revisions };
    } catch (err) {
      if (qr.isTransactionActive) await qr.rollbackTransaction();
      throw err;
    } finally {
      await qr.release();
    }
  }

  /** The rows written after version `since`, from the config history (see changed-rows.ts). */
  changedSince(since: number): Promise<ChangedRows> {
    return readChangedRows(this.#query as (sql: string, params?: unknown[]) => Promise<unknown[]>, this.kinds, since);
  }

  /** One page of (tag, entity) pairs over every entity table (GET /tags, GET /tags/{tag}). */
  tags(q: TagPageQuery): Promise<Page<TagRow>> {
    return pageTags((sql, params) => this.ds.query(sql, params), this.kinds, q);
  }

  /** The distinct names of the plugins configured anywhere (GET / `enabled_in_cluster`). */
  async pluginNames(): Promise<string[]> {
    const rows = (await this.ds.query('SELECT DISTINCT name FROM plugins ORDER BY name')) as { name: string }[];
    return rows.map((r) => r.name);
  }

  async ping(): Promise<boolean> {
    try {
      await this.ds.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }
}
