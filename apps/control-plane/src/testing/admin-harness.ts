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
