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

  describe('GET /metrics', () => {
    let metricsPort: number;
    let server: StatusServer;
    let answer: () => string | Promise<string>;
    beforeEach(async () => {
      answer = () => '# HELP x_total x\n# TYPE x_total counter\nx_total 1\n';
      server = new StatusServer({
        host: '127.0.0.1',
        port: 0,
        logger: memoryLogger(),
        source: {
          nodeId: 'node-1',
          zone: 'default',
          config: () => null,
          controlPlane: () => ({ state: 'connecting', address: null }),
          proxy: () => ({ total_requests: 0, connections_active: 0 }),
          metrics: () => answer(),
        },
      });
      metricsPort = await server.listen();
    });
    afterEach(() => server.close());

    it("answers Prometheus's text format 0.0.4", async () => {
      const res = await send(metricsPort, { path: '/metrics' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(res.body).toBe('# HELP x_total x\n# TYPE x_total counter\nx_total 1\n');
    });

    it('waits for an answer that comes later (the workers, over IPC); HEAD has no body', async () => {
      answer = () => new Promise((r) => setTimeout(() => r('later 1\n'), 20));
      expect((await send(metricsPort, { path: '/metrics' })).body).toBe('later 1\n');
      const head = await send(metricsPort, { path: '/metrics', method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
    });

    it('405 for other methods; 500 with Kong\'s message when the metrics cannot be collected', async () => {
      expect((await send(metricsPort, { path: '/metrics', method: 'POST' })).status).toBe(405);
      answer = () => Promise.reject(new Error('worker gone'));
      const res = await send(metricsPort, { path: '/metrics' });
      expect(res.status).toBe(500);
      expect(JSON.parse(res.body)).toEqual({ message: 'An unexpected error occurred' });
      answer = () => {
        throw new Error('sync failure');
      };
      expect((await send(metricsPort, { path: '/metrics' })).status).toBe(500);
    });
  });

  it('404 for /metrics when no metrics source is wired', async () => {
    expect((await send(port, { path: '/metrics' })).status).toBe(404);
  });
});
