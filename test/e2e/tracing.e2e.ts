// Traces from real processes over loopback: a control plane started with OTEL_EXPORTER_OTLP_ENDPOINT
// exports its Admin API requests and snapshot builds (its log lines carrying the trace id), and a data
// plane running the opentelemetry plugin exports a proxied request's spans, continuing the client's
// trace and passing it to the upstream. One OTLP/HTTP receiver decodes what both send.
import { startOtlpReceiver, type OtlpReceiver } from '@archway/telemetry/testing';
import { adminClient, type AdminCall } from '../../apps/control-plane/src/testing/admin-client';
import { createTestDatabase, type TestDatabase } from '../../apps/control-plane/src/testing/test-database';
import { eventually, freePort, role, scratchDirs, type RoleProcess } from '../support/processes';
import { startEchoUpstream, type Upstream } from '../support/upstream';

jest.setTimeout(180_000);

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

let db: TestDatabase;
let upstream: Upstream;
let otlp: OtlpReceiver;
let cp: RoleProcess;
let dp: RoleProcess;
let admin: AdminCall;
let proxy: string;
const scratch = scratchDirs();

beforeAll(async () => {
  db = await createTestDatabase();
  upstream = await startEchoUpstream();
  otlp = await startOtlpReceiver();
  const [adminPort, clusterPort, proxyPort, statusPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  admin = adminClient(`http://127.0.0.1:${adminPort}`);
  proxy = `http://127.0.0.1:${proxyPort}`;
  cp = role('control-plane', 'control-plane', {
    ARCHWAY_DATABASE_URL: db.url,
    ARCHWAY_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    ARCHWAY_CLUSTER_LISTEN: `127.0.0.1:${clusterPort}`,
    ARCHWAY_PREFIX: scratch.make('cp'),
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp.port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  }).start();
  await eventually('the Admin API', async () => (await admin('GET', '/')).status === 200, 60_000, [cp]);
  dp = role('dp', 'data-plane', {
    ARCHWAY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    ARCHWAY_PROXY_SSL_LISTEN: 'off',
    ARCHWAY_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
    ARCHWAY_PREFIX: scratch.make('dp'),
  }).start();
  // connected (it has the empty config): the snapshots published from here on are offered to it
  await eventually('the data plane to be ready', async () => (await fetch(`http://127.0.0.1:${statusPort}/status/ready`).catch(() => null))?.status === 200, 60_000, [cp, dp]);
});

afterAll(async () => {
  await Promise.all([dp, cp].map((p) => p?.stop()));
  await otlp?.close();
  await upstream?.close();
  await db?.drop();
  scratch.removeAll();
});

describe('tracing across the processes', () => {
  it('exports a proxied request as kong and kong.balancer spans on the client\'s trace, with the upstream on it too', async () => {
    // the plugin first: a config that serves the route has the plugin too
    expect((await admin('POST', '/plugins', { name: 'opentelemetry', config: { traces_endpoint: otlp.url, queue: { max_coalescing_delay: 0.05 } } })).status).toBe(201);
    expect((await admin('POST', '/services', `name=echo&url=http://127.0.0.1:${upstream.port}`)).status).toBe(201);
    expect((await admin('POST', '/services/echo/routes', 'name=r&paths[]=/traced')).status).toBe(201);
    const seen = await eventually('the data plane to proxy /traced', async () => {
      const res = await fetch(`${proxy}/traced`, { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
      return res.status === 200 ? ((await res.json()) as { headers: Record<string, string> }) : null;
    }, 30_000, [cp, dp]);
    const spans = await otlp.until((s) => s.some((x) => x.name === 'kong.balancer' && x.traceId === TRACE_ID), 30_000);
    const root = spans.find((s) => s.name === 'kong' && s.traceId === TRACE_ID && s.parentSpanId === PARENT_ID);
    const balancer = spans.find((s) => s.name === 'kong.balancer' && s.traceId === TRACE_ID);
    expect(root?.attributes).toMatchObject({ 'http.method': 'GET', 'http.status_code': 200, 'http.route': '/traced' });
    expect(root?.resource['service.name']).toBe('kong');
    expect(balancer?.parentSpanId).toBe(root?.spanId);
    expect(seen.headers.traceparent).toBe(`00-${TRACE_ID}-${balancer?.spanId}-01`);
  });

  it('exports the control plane\'s Admin API requests and snapshot builds, and its logs carry their trace ids', async () => {
    const published = () =>
      cp.log.flatMap((l) => {
        try {
          const line = JSON.parse(l) as Record<string, unknown>;
          return line.msg === 'snapshot published' ? [line] : [];
        } catch {
          return [];
        }
      });
    // every build that published has been exported (the batch processor sends every 100 ms here)
    const spans = await otlp.until((s) => {
      const builds = new Set(s.filter((x) => x.name === 'snapshot build').map((x) => x.traceId));
      return s.some((x) => x.name === 'POST /services/:parent/routes') && published().length > 0 && published().every((l) => builds.has(l.trace_id as string));
    }, 30_000);
    const post = spans.find((s) => s.name === 'POST /services');
    expect(post?.resource['service.name']).toBe('archway-control-plane');
    expect(post?.attributes).toMatchObject({ 'http.route': '/services', 'http.response.status_code': 201 });
    expect(spans.some((s) => s.name === 'snapshot publish' && (s.attributes['archway.snapshot.streams'] as number) >= 1)).toBe(true);
    for (const line of published()) expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
  });
});
