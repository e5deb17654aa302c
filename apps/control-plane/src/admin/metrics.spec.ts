// GET /metrics on the Admin API of a real control plane (fresh database): the published config version,
// data planes connected over real gRPC by zone, Kong's data_plane_last_seen, snapshot build times.
import { createConfigSyncClient, type SyncRequest } from '@archway/sync';
import { startAdminHarness, type AdminHarness } from '../testing/admin-harness';

jest.setTimeout(60_000);

/** A data plane's first message on the sync stream; the stream stays open until close(). */
function connectDataPlane(port: number, id: string, zone: string) {
  const client = createConfigSyncClient(`127.0.0.1:${port}`);
  const call = client.StreamConfig();
  call.on('data', () => undefined);
  call.on('error', () => undefined);
  const hello: SyncRequest = { node: { id, hostname: `${id}.local`, zone, software_version: '0.1.0', labels: {} }, version_info: '', config_hash: '' };
  call.write(hello);
  return {
    close: () => {
      call.end();
      client.close();
    },
  };
}

const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? null : Number(line.slice(series.length + 1));
};

describe('GET /metrics (control plane)', () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await startAdminHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  async function scrape(): Promise<string> {
    const res = await fetch(`${h.base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return res.text();
  }

  async function until(what: string, check: (text: string) => boolean): Promise<string> {
    for (let i = 0; i < 250; i++) {
      const text = await scrape();
      if (check(text)) return text;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('shows the published config version and how long snapshots took to build', async () => {
    expect((await h.call('POST', '/services', { name: 'billing', url: 'http://billing.internal' })).status).toBe(201);
    const text = await until('the snapshot with the service', (t) => (sample(t, 'archway_snapshot_builds_total{result="ok"}') ?? 0) >= 2);
    const status = await h.call('GET', '/status');
    expect(sample(text, 'archway_control_plane_config_version')).toBe(status.body.configuration_version);
    expect(sample(text, 'archway_snapshot_build_ms_count')).toBe(sample(text, 'archway_snapshot_builds_total{result="ok"}'));
    expect(sample(text, 'archway_snapshot_build_ms_sum')).toBeGreaterThan(0);
    expect(text).toContain('archway_snapshot_build_ms_bucket{le="30000"}');
    expect(sample(text, 'archway_snapshot_builds_total{result="error"}')).toBe(0);
  });

  it('counts connected data planes by zone and shows when each was last seen', async () => {
    const dps = [connectDataPlane(h.cp.clusterPort, 'dp-a1', 'zone-a'), connectDataPlane(h.cp.clusterPort, 'dp-a2', 'zone-a'), connectDataPlane(h.cp.clusterPort, 'dp-b1', 'zone-b')];
    try {
      const text = await until('three data planes', (t) => sample(t, 'archway_data_planes_connected{zone="zone-a"}') === 2 && sample(t, 'archway_data_planes_connected{zone="zone-b"}') === 1);
      expect(sample(text, 'archway_data_plane_last_seen{node_id="dp-a1",hostname="dp-a1.local"}')).toBeGreaterThan(Date.now() / 1000 - 60);
      dps[0].close();
      await until('dp-a1 gone', (t) => sample(t, 'archway_data_planes_connected{zone="zone-a"}') === 1);
    } finally {
      for (const dp of dps) dp.close();
    }
  });

  it('is listed in GET /endpoints (admin-auth.spec.ts: it needs a token like any Admin API path)', async () => {
    const endpoints = await h.call('GET', '/endpoints');
    expect(JSON.stringify(endpoints.body)).toContain('/metrics');
  });
});
