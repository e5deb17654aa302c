import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARCHWAY_VERSION, loadSettings } from '@archway/config';
import { makeSnapshot } from '@archway/schema';
import { silentLogger } from '@archway/telemetry';
// Test only: the control plane's real sync server feeds the data plane (as in sync-client.spec.ts)
// eslint-disable-next-line @nx/enforce-module-boundaries
import { SyncServer } from '../../control-plane/src/clustering/sync-server';
import { ConfigStore } from './config-store';
import { DataPlaneStartError, startDataPlane } from './main';
import { configHashValue } from './node-metrics';
import { closedPort, makeRoute, makeService, memoryLogger, send, snapshotOf, startUpstream, type Upstream } from './testing/fixtures';
import { sample, scrape } from './testing/metrics-scrape';

describe('startDataPlane', () => {
  let prefix: string;
  let upstream: Upstream;
  beforeEach(async () => {
    prefix = await mkdtemp(join(tmpdir(), 'archway-dp-main-'));
    upstream = await startUpstream();
  });
  afterEach(async () => {
    await upstream.close();
    await rm(prefix, { recursive: true, force: true });
  });

  const settingsWith = async (env: Record<string, string> = {}) =>
    loadSettings('data-plane', {
      ARCHWAY_PREFIX: prefix,
      ARCHWAY_PROXY_LISTEN: '127.0.0.1:0',
      ARCHWAY_PROXY_SSL_LISTEN: '127.0.0.1:0',
      ARCHWAY_STATUS_LISTEN: '127.0.0.1:0',
      ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${await closedPort()}`,
      ARCHWAY_ZONE: 'zone-a',
      ...env,
    });

  it('serves the cached configuration at once, with no control plane reachable', async () => {
    const svc = makeService({ port: upstream.port });
    const seed = new ConfigStore({ prefix, logger: memoryLogger() });
    await seed.apply(snapshotOf(9, [svc], [makeRoute(svc, { paths: ['/cached'] })]));
    await seed.close(0);

    const dp = await startDataPlane(await settingsWith(), memoryLogger());
    try {
      expect((await send(dp.proxyPort, { path: '/cached/x' })).status).toBe(200);
      expect((await send(dp.statusPort, { path: '/status/ready' })).status).toBe(200);
      const status = JSON.parse((await send(dp.statusPort, { path: '/status' })).body);
      expect(status).toMatchObject({ config_version: 9, zone: 'zone-a', server: { total_requests: 1 } });
      expect(status.node_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(['connecting', 'disconnected']).toContain(status.control_plane.state);
    } finally {
      await dp.close();
    }
  });

  it('is not ready without a cache until a control plane delivers a config', async () => {
    const dp = await startDataPlane(await settingsWith({ ARCHWAY_NODE_ID: 'dp-7' }), memoryLogger());
    try {
      expect((await send(dp.statusPort, { path: '/status/ready' })).status).toBe(503);
      expect(JSON.parse((await send(dp.statusPort, { path: '/status' })).body).node_id).toBe('dp-7');
      expect((await send(dp.proxyPort, { path: '/' })).status).toBe(404);
    } finally {
      await dp.close();
    }
  });

  it('fails to start with a clear error when the proxy port is taken, leaving nothing listening', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const taken = (blocker.address() as { port: number }).port;
    try {
      const start = startDataPlane(await settingsWith({ ARCHWAY_PROXY_LISTEN: `127.0.0.1:${taken}` }), memoryLogger());
      await expect(start).rejects.toThrow(DataPlaneStartError);
      await expect(start).rejects.toThrow(/already in use.*ARCHWAY_PROXY_LISTEN/);
    } finally {
      blocker.close();
    }
  });

  it('serves GET /metrics on the status port: the node, the served config, ACKs and NACKs, the sync link and the proxy', async () => {
    const server = new SyncServer({ logger: silentLogger, softwareVersion: 'test' });
    const clusterPort = await server.listen('127.0.0.1', 0);
    const dp = await startDataPlane(await settingsWith({ ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`, ARCHWAY_NODE_ID: 'dp-m' }), memoryLogger());
    try {
      const before = await scrape(dp.statusPort);
      expect(sample(before, `archway_node_info{node_id="dp-m",version="${ARCHWAY_VERSION}"}`)).toBe(1);
      expect(sample(before, 'archway_data_plane_config_version')).toBeNull(); // nothing served yet
      expect(sample(before, 'archway_config_applies_total{result="ack"}')).toBe(0);

      const svc = makeService({ name: 'echo', port: upstream.port });
      const v1 = snapshotOf(1, [svc], [makeRoute(svc, { name: 'one', paths: ['/one'] })]);
      server.publish(v1);
      const until = async (what: string, check: (text: string) => boolean) => {
        for (let i = 0; i < 250; i++) {
          const text = await scrape(dp.statusPort);
          if (check(text)) return text;
          await new Promise((r) => setTimeout(r, 20));
        }
        throw new Error(`timed out waiting for ${what}`);
      };
      const acked = await until('the ACK', (t) => sample(t, 'archway_config_applies_total{result="ack"}') === 1);
      expect((await send(dp.proxyPort, { path: '/one' })).status).toBe(200);
      // how long the apply took, by kind: the first config comes whole
      expect(sample(acked, 'archway_config_apply_ms_count{kind="snapshot"}')).toBe(1);
      expect(sample(acked, 'archway_config_apply_ms_sum{kind="snapshot"}')).toBeGreaterThan(0);

      server.publish({ ...makeSnapshot(2, v1.config), hash: 'f'.repeat(64) }); // its hash does not match: NACKed
      const text = await until('the NACK', (t) => sample(t, 'archway_config_applies_total{result="nack"}') === 1);
      expect(sample(text, 'archway_data_plane_config_version')).toBe(1);
      // a rejected config was not applied: no time observed for it
      expect(sample(text, 'archway_config_apply_ms_count{kind="snapshot"}')).toBe(1);
      expect(sample(text, 'archway_config_apply_ms_count{kind="delta"}')).toBe(0);
      expect(sample(text, 'archway_data_plane_config_hash')).toBe(configHashValue(v1.hash));
      expect(sample(text, 'archway_sync_connected')).toBe(1);
      expect(sample(text, 'archway_http_requests_total{service="echo",route="one",code="200"}')).toBe(1);
      expect(sample(text, 'archway_connections{state="active"}')).toBe(0);

      await server.close();
      await until('the link to be down', (t) => sample(t, 'archway_sync_connected') === 0);
    } finally {
      await dp.close();
      await server.close();
    }
  });
});
