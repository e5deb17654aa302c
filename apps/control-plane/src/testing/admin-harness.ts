// Test support: a control plane in this process on a fresh database, and a small Admin API client.
import { loadSettings } from '@archway/config';
import { createLogger, silentLogger } from '@archway/telemetry';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../main';
import { adminClient, keptForBlock, type AdminCall, type AdminReply } from './admin-client';
import { createTestDatabase, type TestDatabase } from './test-database';

export type AdminResponse = AdminReply;

export interface AdminHarness {
  base: string;
  cp: ControlPlane;
  /** the control plane's database (a second control plane or store may share it) */
  dbUrl: string;
  call: AdminCall;
  close(): Promise<void>;
}

export async function startAdminHarness(env: Record<string, string> = {}): Promise<AdminHarness> {
  const db: TestDatabase = await createTestDatabase();
  const prefix = mkdtempSync(join(tmpdir(), 'archway-cp-'));
  chmodSync(prefix, 0o755);
  const settings = loadSettings('control-plane', {
    ARCHWAY_DATABASE_URL: db.url,
    ARCHWAY_ADMIN_LISTEN: '127.0.0.1:0',
    ARCHWAY_CLUSTER_LISTEN: '127.0.0.1:0',
    ARCHWAY_PREFIX: prefix,
    ARCHWAY_SNAPSHOT_DEBOUNCE_MS: '0',
    ...env,
  });
  // OTEL_* variables in `env` (only there: the process's own are not read) turn tracing on
  const cp = await startControlPlane(settings, process.env.DEBUG_SPEC ? createLogger({ level: 'error' }) : silentLogger, { env });
  const base = `http://127.0.0.1:${cp.adminPort}`;
  return {
    base,
    cp,
    dbUrl: db.url,
    call: adminClient(base),
    async close() {
      await cp.close();
      await db.drop();
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

export interface SpecAdmin {
  /** the running harness (between this helper's beforeAll and afterAll) */
  harness(): AdminHarness;
  call: AdminHarness['call'];
  /** The newest version in GET /config/versions; 0 before any write. */
  latestVersion(): Promise<number>;
}

/** One control plane for the enclosing describe block (or the whole spec file), see keptForBlock. */
export function useAdminHarness(env: Record<string, string> = {}): SpecAdmin {
  const harness = keptForBlock(() => startAdminHarness(env), 'the admin harness');
  const call: AdminHarness['call'] = (...args) => harness().call(...args);
  return {
    harness,
    call,
    latestVersion: async () => (await call('GET', '/config/versions?size=1')).body.data[0]?.version ?? 0,
  };
}
