// All database access for config entities. One transaction writes the entities and advances the
// config version (the version row is the writers' lock, so versions are gapless and in commit order);
// NOTIFY in the same transaction tells every control-plane replica after commit.
import {
  ArchwayError,
  ErrorCodes,
  invalidOffset,
  isUuid,
  type ConfigSet,
  type Route,
  type Service,
  uniqueViolation,
} from '@archway/schema';
import { type DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { RouteRecord, ServiceRecord } from './records';

export type Kind = 'services' | 'routes';
export type EntityOf<K extends Kind> = K extends 'services' ? Service : Route;

export const CONFIG_CHANNEL = 'archway_config';

const RECORD = { services: ServiceRecord, routes: RouteRecord } as const;

/** Postgres constraint name -> what Kong reports. */
const UNIQUE_FIELDS: Record<string, string> = { services_name_key: 'name', routes_name_key: 'name' };

export interface Page<T> {
  data: T[];
  /** opaque token for the next page, null on the last page */
  offset: string | null;
}

export interface PageQuery {
  size: number;
  offset?: string;
  /** routes of one service */
  serviceId?: string;
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

function toRecord(kind: Kind, entity: Service | Route): Record<string, unknown> {
  const row: Record<string, unknown> = { id: entity.id, name: entity.name, data: entity };
  if (kind === 'routes') row.service_id = (entity as Route).service?.id ?? null;
  return row;
}

/** Database errors a user caused become Kong's 409/400; everything else stays a 500. */
export function translateDbError(err: unknown, entity?: Service | Route): never {
  if (err instanceof QueryFailedError) {
    const pg = err.driverError as { code?: string; constraint?: string };
    if (pg.code === '23505') {
      const field = UNIQUE_FIELDS[pg.constraint ?? ''] ?? 'id';
      throw uniqueViolation(field, entity ? (entity as unknown as Record<string, unknown>)[field] : null);
    }
    if (pg.code === '23503') {
      const id = (entity as Route | undefined)?.service?.id;
      throw new ArchwayError(
        ErrorCodes.FOREIGN_KEY_VIOLATION,
        `the foreign key '{id="${id}"}' does not reference an existing 'services' entity.`,
        { service: { id } },
      );
    }
  }
  throw err;
}

/** Reads and writes inside one write transaction. */
export class WriteTx {
  constructor(private readonly em: EntityManager) {}

  find<K extends Kind>(kind: K, idOrName: string): Promise<EntityOf<K> | null> {
    return findIn(this.em, kind, idOrName, true);
  }

  async insert<K extends Kind>(kind: K, entity: EntityOf<K>): Promise<EntityOf<K>> {
    try {
      await this.em.getRepository(RECORD[kind]).insert(toRecord(kind, entity));
    } catch (err) {
      translateDbError(err, entity);
    }
    return entity;
  }

  async update<K extends Kind>(kind: K, entity: EntityOf<K>): Promise<EntityOf<K>> {
    try {
      await this.em.getRepository(RECORD[kind]).update({ id: entity.id }, toRecord(kind, entity));
    } catch (err) {
      translateDbError(err, entity);
    }
    return entity;
  }

  async delete(kind: Kind, id: string): Promise<boolean> {
    try {
      const r = await this.em.getRepository(RECORD[kind]).delete({ id });
      return (r.affected ?? 0) > 0;
    } catch (err) {
      // deleting a row that others still reference: Kong refuses and names the referencing entity
      // (PostgreSQL 18 reports ON DELETE RESTRICT as 23001 restrict_violation, older ones as 23503)
      const code = err instanceof QueryFailedError ? (err.driverError as { code?: string }).code : undefined;
      if (code === '23503' || code === '23001')
        throw new ArchwayError(
          ErrorCodes.FOREIGN_KEY_VIOLATION,
          `an existing 'routes' entity references this '${kind}' entity`,
          { '@referenced_by': 'routes' },
        );
      translateDbError(err);
    }
  }
}

async function findIn<K extends Kind>(em: EntityManager, kind: K, idOrName: string, lock = false): Promise<EntityOf<K> | null> {
  const repo = em.getRepository(RECORD[kind]);
  const where = isUuid(idOrName) ? { id: idOrName } : { name: idOrName };
  const row = await repo.findOne({ where, lock: lock ? { mode: 'pessimistic_write' } : undefined });
  return row ? (row.data as unknown as EntityOf<K>) : null;
}

export class EntityStore {
  constructor(private readonly ds: DataSource) {}

  find<K extends Kind>(kind: K, idOrName: string): Promise<EntityOf<K> | null> {
    return findIn(this.ds.manager, kind, idOrName);
  }

  async page<K extends Kind>(kind: K, q: PageQuery): Promise<Page<EntityOf<K>>> {
    const qb = this.ds.getRepository(RECORD[kind]).createQueryBuilder('e').orderBy('e.id', 'ASC').limit(q.size + 1);
    if (q.offset !== undefined) qb.andWhere('e.id > :after', { after: decodeOffset(q.offset) });
    if (q.serviceId !== undefined) qb.andWhere('e.service_id = :sid', { sid: q.serviceId });
    const rows = await qb.getMany();
    const more = rows.length > q.size;
    const data = rows.slice(0, q.size).map((r) => r.data as unknown as EntityOf<K>);
    return { data, offset: more ? encodeOffset(data[data.length - 1].id) : null };
  }

  /**
   * Runs `fn` in one transaction that also advances the config version. Returns the version the
   * write committed as, or null when `fn` reports it changed nothing (then no version is spent).
   */
  async write<T>(fn: (tx: WriteTx) => Promise<{ result: T; changed: boolean }>): Promise<{ result: T; version: number | null }> {
    return this.ds.transaction(async (em) => {
      const { result, changed } = await fn(new WriteTx(em));
      if (!changed) return { result, version: null };
      const rows: { version: string }[] = await em.query(
        'UPDATE config_version SET version = version + 1 WHERE id = 1 RETURNING version',
      );
      const version = Number(rows[0].version);
      await em.query('SELECT pg_notify($1, $2)', [CONFIG_CHANNEL, String(version)]);
      return { result, version };
    });
  }

  /** The whole config at one consistent version. */
  async readConfig(): Promise<{ version: number; config: ConfigSet }> {
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction('REPEATABLE READ');
      const [{ version }] = (await qr.query('SELECT version FROM config_version WHERE id = 1')) as { version: string }[];
      const services = (await qr.query('SELECT data FROM services ORDER BY id')) as { data: Service }[];
      const routes = (await qr.query('SELECT data FROM routes ORDER BY id')) as { data: Route }[];
      await qr.commitTransaction();
      return {
        version: Number(version),
        config: { services: services.map((r) => r.data), routes: routes.map((r) => r.data) },
      };
    } catch (err) {
      if (qr.isTransactionActive) await qr.rollbackTransaction();
      throw err;
    } finally {
      await qr.release();
    }
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
