// A control plane started from the build on a fresh database, and a small Admin API client for
// black-box tests (test/e2e/admin-*.e2e.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../apps/control-plane/src/testing/test-database';
import { adminClient, keptForBlock, type AdminCall, type AdminReply } from '../../apps/control-plane/src/testing/admin-client';
import { eventually, freePort, role, type RoleProcess } from './processes';

export type { AdminReply };
export { selfSigned } from '../../apps/control-plane/src/testing/self-signed';

export interface AdminProcess {
  base: string;
  proc: RoleProcess;
  call: AdminCall;
  close(): Promise<void>;
}

export async function startAdminProcess(env: Record<string, string> = {}): Promise<AdminProcess> {
  const db: TestDatabase = await createTestDatabase();
  const prefix = mkdtempSync(join(tmpdir(), 'archway-e2e-admin-'));
  const [adminPort, clusterPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${adminPort}`;
  const proc = role('control-plane', 'control-plane', {
    ARCHWAY_DATABASE_URL: db.url,
    ARCHWAY_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    ARCHWAY_CLUSTER_LISTEN: `127.0.0.1:${clusterPort}`,
    ARCHWAY_PREFIX: prefix,
    ARCHWAY_LOG_LEVEL: 'warn',
    ...env,
  }).start();
  await eventually('the Admin API', async () => (await fetch(base + '/status')).status < 500, 60_000, [proc]);
  return {
    base,
    proc,
    call: adminClient(base),
    async close() {
      await proc.stop();
      await db.drop();
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

export interface SpecAdminProcess {
  /** the running control plane (between this helper's beforeAll and afterAll) */
  harness(): AdminProcess;
  call: AdminProcess['call'];
  /** POSTs `body` to `path` and returns the created entity; throws unless the answer is 201. */
  created(path: string, body: string | object): Promise<AdminReply['body']>;
}

/** One control plane from the build for the whole test file (or describe block), see keptForBlock. */
export function useAdminProcess(env: Record<string, string> = {}): SpecAdminProcess {
  const harness = keptForBlock(() => startAdminProcess(env), 'the control plane');
  const call: AdminProcess['call'] = (...args) => harness().call(...args);
  return {
    harness,
    call,
    async created(path, body) {
      const res = await call('POST', path, body);
      if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${res.text}`);
      return res.body;
    },
  };
}

/** Every page of a list endpoint, following `offset` as a Kong client does. */
export async function allPages(admin: Pick<AdminProcess, 'call'>, path: string, size: number): Promise<{ pages: number; data: { id: string }[] }> {
  const data: { id: string }[] = [];
  let pages = 0;
  let offset: string | undefined;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await admin.call('GET', `${path}${sep}size=${size}${offset ? `&offset=${encodeURIComponent(offset)}` : ''}`);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
    data.push(...res.body.data);
    pages++;
    offset = res.body.offset ?? undefined;
  } while (offset);
  return { pages, data };
}
