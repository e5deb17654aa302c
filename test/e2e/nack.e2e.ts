// A data-plane process fed by a control plane's sync server (run in this test process, so the test can
// publish a snapshot the real control plane would never build): a corrupted or invalid snapshot is
// NACKed with the reason (the entity and field named), the NACK is recorded, and the data plane keeps
// serving its last good config. Single process and ARCHWAY_WORKERS=2 alike: in workers mode the
// primary checks the snapshot (the workers trust that check and only compile), so a bad snapshot
// never reaches a worker.
import { makeSnapshot } from '@archway/schema';
import type { SyncServer } from '../../apps/control-plane/src/clustering/sync-server';
import { eventually, type RoleProcess } from '../support/processes';
import { serviceConfig, startSyncedDataPlane, type SyncedDataPlane } from '../support/synced-data-plane';
import { startEchoUpstream, type Upstream } from '../support/upstream';

jest.setTimeout(120_000);

const config = (upstreamPort: number, paths: string[]) => serviceConfig({ name: 'echo', url: `http://127.0.0.1:${upstreamPort}` }, paths.map((p) => ({ paths: [p] })));

describe.each([
  ['a single-process data plane', '1'],
  ['a data plane with 2 proxy workers', '2'],
])('%s', (_label, workers) => {
  let plane: SyncedDataPlane;
  let server: SyncServer;
  let upstream: Upstream;
  let dp: RoleProcess;
  let proxy: string;

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    plane = await startSyncedDataPlane('nack', { ARCHWAY_WORKERS: workers });
    ({ server, dp, proxy } = plane);
  });

  afterAll(async () => {
    await plane?.stop();
    await upstream?.close();
  });

  const status = (path: string) => fetch(proxy + path, { headers: { connection: 'close' } }).then((r) => r.status);
  const record = () => server.dataPlanes()[0];

  it('NACKs a snapshot whose hash does not match its content, records why, and keeps serving the old config', async () => {
    server.publish(makeSnapshot(1, config(upstream.port, ['/good'])));
    await eventually('the data plane to serve /good', async () => (await status('/good')) === 200, 30_000, [dp]);
    await eventually('the ACK of version 1', async () => record()?.config_version === 1, 10_000, [dp]);

    const tampered = { ...makeSnapshot(2, config(upstream.port, ['/new'])), hash: 'f'.repeat(64) };
    server.publish(tampered);
    const nacked = await eventually('the NACK of version 2', async () => (record()?.last_error ? record() : null), 10_000, [dp]);
    expect(nacked.last_error?.message).toMatch(/hash mismatch/);
    expect(nacked.last_error?.config_version).toBe(2);
    expect(nacked.config_version).toBe(1);
    expect(nacked.sync_status).toBe('config_nack');
    expect(await status('/good')).toBe(200);
    expect(await status('/new')).toBe(404);

    server.publish(makeSnapshot(3, config(upstream.port, ['/fixed'])));
    await eventually('the data plane to apply version 3', async () => (await status('/fixed')) === 200, 10_000, [dp]);
    await eventually('the ACK of version 3', async () => record()?.config_version === 3 && record()?.sync_status === 'normal', 10_000, [dp]);
  });

  it('NACKs a snapshot with an invalid entity (its hash right), naming the entity and the field, and keeps serving', async () => {
    const base = config(upstream.port, ['/invalid']);
    const invalid = { ...base, services: [{ ...base.services[0], port: 70000 }] };
    server.publish(makeSnapshot(4, invalid));
    const nacked = await eventually('the NACK of version 4', async () => (record()?.last_error?.config_version === 4 ? record() : null), 10_000, [dp]);
    expect(nacked.last_error?.message).toContain(`services ${invalid.services[0].id}`);
    expect(nacked.last_error?.message).toMatch(/port/);
    expect(nacked.config_version).toBe(3);
    expect(nacked.sync_status).toBe('config_nack');
    expect(await status('/fixed')).toBe(200);
    expect(await status('/invalid')).toBe(404);
  });
});
