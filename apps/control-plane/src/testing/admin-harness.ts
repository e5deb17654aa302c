// Test support: a control plane in this process on a fresh database, and a small Admin API client.
import { loadSettings } from '@archway/config';
import { createLogger, silentLogger } from '@archway/telemetry';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../main';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface AdminResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON bodies
  body: any;
}

export interface AdminHarness {
  base: string;
  cp: ControlPlane;
  /** JSON for objects, form-urlencoded for strings (as `curl --data`), or an explicit content type */
  call(method: string, path: string, body?: string | object, type?: string, headers?: Record<string, string>): Promise<AdminResponse>;
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
  const cp = await startControlPlane(settings, process.env.DEBUG_SPEC ? createLogger({ level: 'error' }) : silentLogger);
  const base = `http://127.0.0.1:${cp.adminPort}`;
  return {
    base,
    cp,
    async call(method, path, body, type, extra = {}) {
      const headers: Record<string, string> = { ...extra };
      let payload: string | undefined;
      if (typeof body === 'string') {
        payload = body;
        headers['content-type'] ??= type ?? 'application/x-www-form-urlencoded';
      } else if (body !== undefined) {
        payload = JSON.stringify(body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(base + path, { method, headers, body: payload });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
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

/**
 * One control plane for the enclosing describe block (or the whole spec file): started in beforeAll,
 * closed in afterAll. Call it before any beforeAll that writes through it, as hooks run in order.
 */
export function useAdminHarness(env: Record<string, string> = {}): SpecAdmin {
  let running: AdminHarness | undefined;
  // a fresh database and its migrations can take a while on a busy machine
  beforeAll(async () => {
    running = await startAdminHarness(env);
  }, 120_000);
  afterAll(async () => {
    await running?.close();
  }, 120_000);
  const harness = (): AdminHarness => {
    if (!running) throw new Error('the admin harness is not running: use it inside a test or a later hook');
    return running;
  };
  const call: AdminHarness['call'] = (...args) => harness().call(...args);
  return {
    harness,
    call,
    latestVersion: async () => (await call('GET', '/config/versions?size=1')).body.data[0]?.version ?? 0,
  };
}
