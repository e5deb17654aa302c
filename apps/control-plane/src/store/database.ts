// Opens the configured database: the server at ARCHWAY_DATABASE_URL, or the embedded Postgres under
// the prefix. Same migrations, same code path afterwards.
import type { Settings } from '@archway/config';
import type { Logger } from '@archway/telemetry';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from './data-source';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface Database {
  url: string;
  ds: DataSource;
  embedded: boolean;
  close(): Promise<void>;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

export async function openDatabase(
  settings: Pick<Settings, 'databaseUrl' | 'prefix'>,
  logger: Logger,
  opts: { migrate: boolean },
): Promise<Database> {
  const embedded = settings.databaseUrl === null ? await startEmbeddedPostgres({ prefix: settings.prefix, logger }) : null;
  const url = embedded ? embedded.url : (settings.databaseUrl as string);
  const ds = createDataSource(url);
  try {
    await ds.initialize();
    if (opts.migrate) {
      const applied = await runMigrations(ds);
      if (applied.length) logger.info('migrations applied', { migrations: applied });
    }
  } catch (err) {
    await ds.destroy().catch(() => undefined);
    await embedded?.stop();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot use the database at ${redactUrl(url)}: ${message}. Check ARCHWAY_DATABASE_URL, or unset it to use the embedded Postgres.`);
  }
  logger.info('database ready', { database: embedded ? 'embedded' : redactUrl(url) });
  return {
    url,
    ds,
    embedded: embedded !== null,
    close: async () => {
      await ds.destroy().catch(() => undefined);
      await embedded?.stop();
    },
  };
}
