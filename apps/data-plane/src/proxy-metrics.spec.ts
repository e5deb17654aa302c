// GET /metrics after real requests through the real proxy: requests by service/route/code, Kong's
// latency histograms, bandwidth to the byte, plugin failures, circuit-breaker transitions, target
// health and connections, as a Prometheus scrape shows them.
import { connect, type Socket } from 'node:net';
import type { PluginHandler } from '@archway/pipeline';
import { BUNDLED_HANDLERS, pluginSchema } from '@archway/plugins';
import { targetSchema, upstreamSchema, validateEntity, type PluginDefinition, type Target, type Upstream as UpstreamEntity } from '@archway/schema';
import { closedPort, makeRoute, makeService, send, startUpstream, type Upstream } from './testing/fixtures';
import { sample, scrape } from './testing/metrics-scrape';
import { startPluginProxy, type PluginProxy } from './testing/plugin-proxy';
import { openWebSocket, startEchoServer } from './testing/websocket-fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(check: () => Promise<T | null | false>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await check();
    if (v !== null && v !== false) return v;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Sends raw bytes on a new connection and reads until the server closes it: what went each way. */
function rawExchange(port: number, request: string): Promise<{ sent: number; received: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(request)); // Connection: close: the server ends it
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve({ sent: Buffer.byteLength(request), received: Buffer.concat(chunks) }));
  });
}

// a test plugin beside the bundled ones: it throws in the phase its config names
const boomSchema: PluginDefinition = {
  name: 'boom',
  config: {
    type: 'record',
    fields: { phase: { type: 'string', required: true, default: 'access', oneOf: ['access', 'headerFilter', 'bodyFilter', 'log'] } },
  },
};
const fail = () => {
  throw new Error('boom');
};
const boom: PluginHandler<{ phase: string }> = {
  name: 'boom',
  priority: 900,
  version: '0.1.0',
  configure: (config) => ({ phase: config.phase as string }),
  access: (_ctx, s) => (s.phase === 'access' ? fail() : undefined),
  headerFilter: (_ctx, s) => (s.phase === 'headerFilter' ? fail() : undefined),
  bodyFilter: (_ctx, s, body) => (s.phase === 'bodyFilter' ? fail() : body),
  log: (_ctx, s) => (s.phase === 'log' ? fail() : undefined),
};
const plugins = {
  handlers: new Map<string, PluginHandler>([...BUNDLED_HANDLERS, ['boom', boom as PluginHandler]]),
  schemas: (name: string) => (name === 'boom' ? boomSchema : pluginSchema(name)),
};

describe('GET /metrics after requests through the proxy', () => {
  let px: PluginProxy;
  const extra: Upstream[] = [];
  beforeEach(async () => {
    px = await startPluginProxy({ plugins });
  });
  afterEach(async () => {
    await px.close();
    await Promise.all(extra.splice(0).map((u) => u.close()));
  });

  const metrics = () => scrape(px.statusPort);

  it("counts requests by service, route and status code (Kong's labels: service name or host, route name or id)", async () => {
    const billing = makeService({ name: 'billing', port: px.upstream.port });
    const invoices = makeRoute(billing, { name: 'invoices', paths: ['/invoices'] });
    await px.apply([], { services: [billing], routes: [invoices] });
    for (let i = 0; i < 3; i++) expect((await send(px.port, { path: '/p' })).status).toBe(200);
    expect((await send(px.port, { path: '/invoices/1' })).status).toBe(200);
    expect((await send(px.port, { path: '/nowhere' })).status).toBe(404);
    const text = await metrics();
    expect(text).toContain('# TYPE archway_http_requests_total counter');
    expect(sample(text, `archway_http_requests_total{service="127.0.0.1",route="${px.route.id}",code="200"}`)).toBe(3);
    expect(sample(text, 'archway_http_requests_total{service="billing",route="invoices",code="200"}')).toBe(1);
    // no route: counted with empty service and route
    expect(sample(text, 'archway_http_requests_total{service="",route="",code="404"}')).toBe(1);
  });

  it("observes request, upstream and Archway latency in histograms with Kong's buckets", async () => {
    await px.apply([]);
    for (let i = 0; i < 4; i++) await send(px.port, { path: '/p' });
    const text = await metrics();
    const labels = `service="127.0.0.1",route="${px.route.id}"`;
    for (const h of ['archway_request_latency_ms', 'archway_upstream_latency_ms', 'archway_archway_latency_ms']) {
      expect(text).toContain(`# TYPE ${h} histogram`);
      expect(sample(text, `${h}_count{${labels}}`)).toBe(4);
      expect(sample(text, `${h}_bucket{${labels},le="+Inf"}`)).toBe(4);
      expect(sample(text, `${h}_sum{${labels}}`)).toBeGreaterThan(0);
    }
    expect(text).toContain(`archway_archway_latency_ms_bucket{${labels},le="750"}`);
    expect(text).toContain(`archway_upstream_latency_ms_bucket{${labels},le="60000"}`);
    // the parts add up: what Archway added plus what the upstream took is the whole request
    const sum = (h: string) => sample(text, `${h}_sum{${labels}}`) as number;
    expect(sum('archway_archway_latency_ms') + sum('archway_upstream_latency_ms')).toBeCloseTo(sum('archway_request_latency_ms'), 6);
  });

  it('counts bandwidth to the byte: the request as the client sent it, the response as it received it', async () => {
    await px.apply([]);
    const a = await rawExchange(px.port, 'GET /p HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n');
    const b = await rawExchange(px.port, 'POST /p HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
    expect(a.received.toString()).toMatch(/^HTTP\/1\.1 200 /);
    const labels = `service="127.0.0.1",route="${px.route.id}"`;
    const text = await eventually(async () => {
      const t = await metrics();
      return sample(t, `archway_http_requests_total{${labels},code="200"}`) === 2 && t;
    }, 'both requests counted');
    expect(sample(text, `archway_bandwidth_bytes{${labels},direction="ingress"}`)).toBe(a.sent + b.sent);
    expect(sample(text, `archway_bandwidth_bytes{${labels},direction="egress"}`)).toBe(a.received.length + b.received.length);
  });

  it('a 502 from an unreachable upstream counts as 502 with no upstream latency; all the time is Archway\'s', async () => {
    const dead = makeService({ name: 'dead', port: await closedPort(), retries: 0 });
    await px.apply([], { services: [dead], routes: [makeRoute(dead, { name: 'dead', paths: ['/dead'] })] });
    expect((await send(px.port, { path: '/dead' })).status).toBe(502);
    const text = await metrics();
    expect(sample(text, 'archway_http_requests_total{service="dead",route="dead",code="502"}')).toBe(1);
    expect(sample(text, 'archway_upstream_latency_ms_count{service="dead",route="dead"}')).toBe(0);
    expect(sample(text, 'archway_archway_latency_ms_count{service="dead",route="dead"}')).toBe(1);
  });

  it("counts a request whose client left before the response as nginx's 499", async () => {
    const hanging = await startUpstream(() => undefined); // never answers
    extra.push(hanging);
    const slow = makeService({ name: 'slow', port: hanging.port });
    await px.apply([], { services: [slow], routes: [makeRoute(slow, { name: 'slow', paths: ['/slow'] })] });
    const socket: Socket = connect(px.port, '127.0.0.1', () => socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n'));
    await sleep(100);
    socket.destroy();
    await eventually(async () => sample(await metrics(), 'archway_http_requests_total{service="slow",route="slow",code="499"}') === 1, 'the 499');
  });

  it.each([
    ['access', 'access', 500],
    ['headerFilter', 'header_filter', 500],
    ['bodyFilter', 'body_filter', 500],
    ['log', 'log', 200],
  ])('counts a plugin that throws in %s in archway_plugin_errors_total{phase="%s"}', async (phase, label, status) => {
    await px.apply([{ name: 'boom', config: { phase } }]);
    expect((await send(px.port, { path: '/p' })).status).toBe(status);
    expect((await send(px.port, { path: '/p' })).status).toBe(status);
    const text = await eventually(async () => {
      const t = await metrics();
      return sample(t, `archway_plugin_errors_total{plugin="boom",phase="${label}"}`) === 2 && t; // the log phase runs after the response
    }, 'two plugin errors');
    // one count per failure, under its own phase only
    expect(text.split('\n').filter((l) => l.startsWith('archway_plugin_errors_total{'))).toHaveLength(1);
    expect(sample(text, `archway_http_requests_total{service="127.0.0.1",route="${px.route.id}",code="${status}"}`)).toBe(2);
  });

  it('counts circuit-breaker transitions and shows each target address with its circuit state and health', async () => {
    const failing = await startUpstream((_req, res) => res.writeHead(500).end('no'));
    extra.push(failing);
    const upstream = validateEntity<UpstreamEntity>(upstreamSchema, {
      name: 'u',
      circuit_breaker: { enabled: true, failure_threshold: 2, failure_ratio: 0.5, window: 10, cool_down: 60, half_open_requests: 1 },
    }, 'create');
    const target = validateEntity<Target>(targetSchema, { upstream: { id: upstream.id }, target: `127.0.0.1:${failing.port}` }, 'create');
    const svc = makeService({ name: 'lb', host: 'u', port: 80 });
    await px.apply([], { services: [svc], routes: [makeRoute(svc, { name: 'lb', paths: ['/lb'] })], upstreams: [upstream], targets: [target] });
    const addr = `127.0.0.1:${failing.port}`;
    const state = `archway_circuit_breaker_state{upstream="u",target="${addr}",address="${addr}"}`;
    expect(sample(await metrics(), state)).toBe(0); // closed
    for (let i = 0; i < 2; i++) expect((await send(px.port, { path: '/lb' })).status).toBe(500);
    expect((await send(px.port, { path: '/lb' })).status).toBe(503); // open: shed
    const text = await metrics();
    expect(sample(text, `archway_circuit_breaker_transitions_total{upstream="u",target="${addr}",from="closed",to="open"}`)).toBe(1);
    expect(sample(text, state)).toBe(2); // open
    // Kong's upstream_target_health: one series per state, 1 for the current one (no health checks here)
    expect(sample(text, `archway_upstream_target_health{upstream="u",target="${addr}",address="${addr}",state="healthchecks_off"}`)).toBe(1);
    expect(sample(text, `archway_upstream_target_health{upstream="u",target="${addr}",address="${addr}",state="healthy"}`)).toBe(0);
    expect(sample(text, 'archway_http_requests_total{service="lb",route="lb",code="503"}')).toBe(1);
  });

  it('counts a websocket as a 101 once the connection ends, with the frames in its bandwidth', async () => {
    const echo = await startEchoServer();
    const ws = makeService({ name: 'ws', port: echo.port });
    await px.apply([], { services: [ws], routes: [makeRoute(ws, { name: 'ws', paths: ['/ws'] })] });
    const client = await openWebSocket(px.port, '/ws');
    expect(client.status).toBe(101);
    for (let i = 0; i < 10; i++) {
      client.send('x'.repeat(100)); // the fixture's frames are short ones
      expect(await client.next()).toBe(`echo: ${'x'.repeat(100)}`);
    }
    expect(sample(await metrics(), 'archway_http_requests_total{service="ws",route="ws",code="101"}')).toBeNull(); // still open
    await echo.close(); // the upstream ends the session: the proxy closes the client's side too
    client.close();
    const text = await eventually(async () => {
      const t = await metrics();
      return sample(t, 'archway_http_requests_total{service="ws",route="ws",code="101"}') === 1 && t;
    }, 'the websocket counted');
    expect(sample(text, 'archway_bandwidth_bytes{service="ws",route="ws",direction="ingress"}')).toBeGreaterThan(1000);
    expect(sample(text, 'archway_bandwidth_bytes{service="ws",route="ws",direction="egress"}')).toBeGreaterThan(1000);
    expect(sample(text, 'archway_request_latency_ms_count{service="ws",route="ws"}')).toBe(1);
  });

  it('shows the open client connections', async () => {
    await px.apply([]);
    const sockets = await Promise.all([0, 1].map(() => new Promise<Socket>((resolve) => {
      const s = connect(px.port, '127.0.0.1', () => resolve(s));
    })));
    try {
      await eventually(async () => sample(await metrics(), 'archway_connections{state="active"}') === 2, 'two connections');
    } finally {
      for (const s of sockets) s.destroy();
    }
    await eventually(async () => sample(await metrics(), 'archway_connections{state="active"}') === 0, 'no connection');
  });

  it('keeps counting across a configuration change (series are per route, not per snapshot)', async () => {
    await px.apply([]);
    await send(px.port, { path: '/p' });
    await px.apply([], { routes: [makeRoute(px.service, { paths: ['/other'] })] });
    await send(px.port, { path: '/p' });
    expect(sample(await metrics(), `archway_http_requests_total{service="127.0.0.1",route="${px.route.id}",code="200"}`)).toBe(2);
  });
});
