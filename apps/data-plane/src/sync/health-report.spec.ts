// Upstream health over the sync stream, both ends over real gRPC on 127.0.0.1: the data plane's
// SyncClient reports, the control plane's SyncServer keeps the latest report per data plane and answers
// the Admin API's TargetHealthSource with the worst (then most recent) view of connected data planes.
import type { HealthReport } from '@archway/sync';
import { silentLogger } from '@archway/telemetry';
// Test only: the real server end of the protocol (as sync-client.spec.ts does). Production code never crosses apps.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { SyncServer } from '../../../control-plane/src/clustering/sync-server';
import { SyncClient } from './sync-client';
import { sleep, waitUntil } from '../testing/fixtures';

const U = '6f1c0a52-8d0e-4b1e-9a44-0c6f3d2b1a01';
const T = '6f1c0a52-8d0e-4b1e-9a44-0c6f3d2b1a02';
/** One upstream with one target at 10.0.0.1:80 whose address has the given health. */
function report(health: 'HEALTHY' | 'UNHEALTHY', circuit = ''): HealthReport {
  const available = health === 'HEALTHY' ? 100 : 0;
  const weight = { total: 100, available, unavailable: 100 - available };
  return {
    upstreams: [
      {
        upstream_id: U,
        health,
        healthy: health === 'HEALTHY',
        weight,
        targets: [
          {
            target_id: T,
            health,
            host: '10.0.0.1',
            port: 80,
            dns: 'A',
            node_weight: 100,
            weight,
            addresses: [{ ip: '10.0.0.1', port: 80, weight: 100, health, circuit }],
          },
        ],
      },
    ],
  };
}

describe('upstream health reported over the sync stream', () => {
  let server: SyncServer;
  let port: number;
  const clients: SyncClient[] = [];

  beforeEach(async () => {
    server = new SyncServer({ logger: silentLogger, softwareVersion: '0.1.0' });
    port = await server.listen('127.0.0.1', 0);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
    await server.close();
  });

  function dataPlane(id: string): SyncClient {
    const client = new SyncClient({
      controlPlanes: [`127.0.0.1:${port}`],
      node: { id, hostname: id, zone: 'z', version: '0.1.0', labels: {} },
      logger: silentLogger,
      current: () => null,
      apply: () => undefined,
      backoff: { initialMs: 20, maxMs: 200 },
    });
    clients.push(client);
    return client;
  }

  const health = () => server.targetHealth.healthOf(U, T)?.health ?? null;

  it('shows the report a data plane sends on connect, then each newer one, without taking it for an ACK', async () => {
    const dp = dataPlane('dp-1');
    dp.reportHealth(report('HEALTHY'));
    dp.start();
    await waitUntil(() => health() === 'HEALTHY', 'the first report', 5_000);
    expect(server.targetHealth.healthOf(U, T)?.data).toEqual({
      host: '10.0.0.1',
      port: 80,
      dns: 'A',
      nodeWeight: 100,
      weight: { total: 100, available: 100, unavailable: 0 },
      addresses: [{ ip: '10.0.0.1', port: 80, weight: 100, health: 'HEALTHY' }],
    });
    dp.reportHealth(report('UNHEALTHY', 'open'));
    await waitUntil(() => health() === 'UNHEALTHY', 'the newer report', 5_000);
    expect(server.targetHealth.healthOf(U, T)?.data.addresses[0]).toMatchObject({ health: 'UNHEALTHY', circuit: 'open' });
    expect(server.targetHealth.balancerHealthOf(U)).toMatchObject({ health: 'UNHEALTHY', balancer_health: 'UNHEALTHY', id: U, details: { healthy: false } });
    expect(server.dataPlanes()[0]).toMatchObject({ id: 'dp-1', sync_status: 'unknown', connected: true });
    expect(server.targetHealth.healthOf(U, 'another-target')).toBeNull();
  });

  it('shows the worst health across connected data planes, and forgets a data plane that disconnects', async () => {
    const good = dataPlane('dp-good');
    const bad = dataPlane('dp-bad');
    good.reportHealth(report('HEALTHY'));
    good.start();
    await waitUntil(() => health() === 'HEALTHY', 'the healthy report', 5_000);
    bad.reportHealth(report('UNHEALTHY'));
    bad.start();
    await waitUntil(() => health() === 'UNHEALTHY', 'the unhealthy report', 5_000);
    good.reportHealth(report('HEALTHY')); // more recent, but not as bad
    await sleep(50);
    expect(health()).toBe('UNHEALTHY');
    await bad.stop();
    await waitUntil(() => health() === 'HEALTHY', 'the disconnected data plane to stop counting', 5_000);
    await good.stop();
    await waitUntil(() => health() === null, 'no connected data plane', 5_000);
  });
});
