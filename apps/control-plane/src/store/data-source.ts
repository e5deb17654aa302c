// The TypeORM DataSource: same options for the embedded Postgres and an external server.
import { DataSource } from 'typeorm';
import { MIGRATIONS } from './migrations';

export function createDataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: [],
    migrations: MIGRATIONS,
    migrationsTableName: 'archway_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: { max: 10, application_name: 'archway-control-plane' },
  });
}

/** An arbitrary constant: the advisory lock every control plane takes around migrations. */
const MIGRATIONS_LOCK = 7_301_954_421;

/**
 * Applies pending migrations; returns the names applied. Safe to run on every start, and from several
 * control-plane replicas at once: they take turns under a Postgres advisory lock, and the later ones
 * find nothing left to do.
 */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const lock = ds.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATIONS_LOCK]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATIONS_LOCK]).catch(() => undefined);
    await lock.release();
  }
}
