// Test support (used by specs and test/e2e); not part of the running control plane.
// A fresh, empty database for one test file: a new database on the server at ARCHWAY_DATABASE_URL
// when it is set (CI), else an embedded Postgres in a temporary prefix.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../store/embedded-postgres';
import { silentLogger } from '@archway/telemetry';

export interface TestDatabase {
  url: string;
  kind: 'server' | 'embedded';
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.ARCHWAY_DATABASE_URL;
  if (serverUrl) {
    const name = `archway_test_${randomBytes(6).toString('hex')}`;
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      kind: 'server',
      drop: async () => {
        const c = new Client({ connectionString: serverUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const prefix = mkdtempSync(join(tmpdir(), 'archway-db-'));
  chmodSync(prefix, 0o755); // when tests run as root, Postgres runs as an unprivileged user that must reach it
  const pg = await startEmbeddedPostgres({ prefix, logger: silentLogger });
  return {
    url: pg.url,
    kind: 'embedded',
    drop: async () => {
      await pg.stop();
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
