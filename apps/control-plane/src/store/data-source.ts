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

/** Applies pending migrations; returns the names applied. Safe to run on every start. */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const applied = await ds.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}
