import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '@archway/config';
import { ConfigStore } from './config-store';
import { DataPlaneStartError, startDataPlane } from './main';
import { closedPort, makeRoute, makeService, memoryLogger, send, snapshotOf, startUpstream, type Upstream } from './testing/fixtures';

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
});
