import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore } from './config-store';
import { StatusServer } from './status-server';
import { makeService, memoryLogger, send, snapshotOf } from './testing/fixtures';

describe('status server', () => {
  let prefix: string;
  let store: ConfigStore;
  let status: StatusServer;
  let port: number;

  beforeEach(async () => {
    prefix = await mkdtemp(join(tmpdir(), 'archway-status-'));
    const logger = memoryLogger();
    store = new ConfigStore({ prefix, logger });
    status = new StatusServer({
      host: '127.0.0.1',
      port: 0,
      logger,
      source: {
        nodeId: 'node-1',
        zone: 'eu-west',
        config: () => store.current(),
        controlPlane: () => ({ state: 'connecting', address: '127.0.0.1:8005' }),
        proxy: () => ({ total_requests: 7, connections_active: 1 }),
      },
    });
    port = await status.listen();
  });
  afterEach(async () => {
    await status.close();
    await store.close(0);
    await rm(prefix, { recursive: true, force: true });
  });

  it("GET /status/ready is 503 'no configuration loaded' until a config is applied, then 200 'ready'", async () => {
    const before = await send(port, { path: '/status/ready' });
    expect(before.status).toBe(503);
    expect(JSON.parse(before.body)).toEqual({ message: 'no configuration loaded' });
    await store.apply(snapshotOf(4, [makeService({})], []));
    const after = await send(port, { path: '/status/ready' });
    expect(after.status).toBe(200);
    expect(JSON.parse(after.body)).toEqual({ message: 'ready' });
  });

  it('GET /status shows the config version and hash, control plane, node, zone and server counters', async () => {
    const empty = JSON.parse((await send(port, { path: '/status' })).body);
    expect(empty.config_version).toBeNull();
    const snap = snapshotOf(4, [makeService({})], []);
    await store.apply(snap);
    const res = await send(port, { path: '/status?x=1' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      config_version: 4,
      configuration_hash: snap.hash,
      control_plane: { state: 'connecting', address: '127.0.0.1:8005' },
      node_id: 'node-1',
      zone: 'eu-west',
      server: { total_requests: 7, connections_active: 1 },
    });
  });

  it('404 for any other path', async () => {
    const res = await send(port, { path: '/metrics-not-yet' });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ message: 'Not found' });
  });
});
