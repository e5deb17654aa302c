// rate-limiting through the real proxy: Kong's 429 and headers with the local policy, one limit shared
// by two data planes through the machine's Redis (127.0.0.1:6379, as in CI), and fault_tolerant when
// Redis is unreachable.
import { connect } from 'node:net';
import { pluginSchema } from '@archway/plugins';
import { validatePlugin, type Plugin, type Route, type Service } from '@archway/schema';
import { closedPort, makeRoute, makeService, send, startUpstream, type Upstream } from './testing/fixtures';
import { startProxy, type TestProxy } from './testing/test-proxy';

const REDIS_PORT = Number(process.env.ARCHWAY_TEST_REDIS_PORT ?? 6379);
const EMPTY_UUID = '00000000-0000-0000-0000-000000000000';

// awayFromEdge may wait up to 5.1 s for the next window before a test sends anything: more than
// jest's default 5 s per test, so a run in the last seconds of a minute timed out.
jest.setTimeout(20_000);

/** Fixed windows restart on the minute (hour): start a short burst well inside one. */
async function awayFromEdge(windowMs: number): Promise<void> {
  const into = Date.now() % windowMs;
  if (into > windowMs - 5_000) await new Promise((r) => setTimeout(r, windowMs - into + 100));
}

/** GET over a raw connection, to check what Redis itself holds. */
function redisGet(key: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(REDIS_PORT, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => {
      data += d.toString();
      if (data.endsWith('\r\n') && (data.startsWith('$-1') || data.split('\r\n').length >= 3)) {
        socket.end();
        resolve(data.startsWith('$-1') ? '' : data.split('\r\n')[1]);
      }
    });
    socket.on('error', reject);
    socket.write(`*2\r\n$3\r\nGET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`);
  });
}

describe('proxy with rate-limiting', () => {
  let upstream: Upstream;
  let svc: Service;
  let route: Route;
  const planes: TestProxy[] = [];

  beforeEach(async () => {
    upstream = await startUpstream();
    svc = makeService({ port: upstream.port });
    route = makeRoute(svc, { paths: ['/p'] });
  });
  afterEach(async () => {
    await Promise.all(planes.splice(0).map((dp) => dp.close()));
    await upstream.close();
  });

  /** `n` data planes (proxies with a store each) serving route /p with rate-limiting `config`. */
  async function dataPlanes(n: number, config: Record<string, unknown>): Promise<TestProxy[]> {
    const plugin = validatePlugin({ name: 'rate-limiting', route: { id: route.id }, config }, 'create', pluginSchema) as Plugin;
    const started: TestProxy[] = [];
    for (let i = 0; i < n; i++) {
      const dp = await startProxy();
      planes.push(dp);
      await dp.apply({ services: [svc], routes: [route], plugins: [plugin] });
      started.push(dp);
    }
    return started;
  }

  it("lets 3 requests a minute through, then answers 429 with Kong's body and headers without reaching the upstream", async () => {
    const [dp] = await dataPlanes(1, { minute: 3 });
    await awayFromEdge(60_000);
    const ok = [];
    for (let i = 0; i < 3; i++) ok.push(await send(dp.port, { path: '/p' }));
    expect(ok.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(ok.map((r) => r.headers['x-ratelimit-remaining-minute'])).toEqual(['2', '1', '0']);
    expect(ok[0].headers).toMatchObject({ 'x-ratelimit-limit-minute': '3', 'ratelimit-limit': '3', 'ratelimit-remaining': '2' });
    const over = await send(dp.port, { path: '/p' });
    expect(over.status).toBe(429);
    expect(JSON.parse(over.body)).toEqual({ message: 'API rate limit exceeded', request_id: over.headers['x-archway-request-id'] });
    expect(over.headers).toMatchObject({ 'x-ratelimit-limit-minute': '3', 'x-ratelimit-remaining-minute': '0', 'ratelimit-limit': '3', 'ratelimit-remaining': '0' });
    const reset = Number(over.headers['ratelimit-reset']);
    expect(reset).toBeGreaterThanOrEqual(1);
    expect(reset).toBeLessThanOrEqual(60);
    expect(over.headers['retry-after']).toBe(String(reset));
    expect(upstream.seen).toHaveLength(3);
  });

  it('enforces one redis limit across two data planes, requests alternating between them', async () => {
    const [a, b] = await dataPlanes(2, { hour: 4, policy: 'redis', redis: { host: '127.0.0.1', port: REDIS_PORT } });
    await awayFromEdge(3_600_000);
    const statuses = [];
    for (const dp of [a, b, a, b, a, b]) statuses.push((await send(dp.port, { path: '/p' })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(upstream.seen).toHaveLength(4);
    // the count lives in Redis under Kong's key (rejected requests count too, as Kong's realtime redis policy does)
    const hourStart = Date.now() - (Date.now() % 3_600_000);
    expect(await redisGet(`ratelimit:${route.id}:${EMPTY_UUID}:127.0.0.1:${hourStart}:hour`)).toBe('6');
  });

  it('lets requests through when Redis is down and fault_tolerant is on', async () => {
    const [dp] = await dataPlanes(1, { minute: 1, policy: 'redis', redis: { host: '127.0.0.1', port: await closedPort(), timeout: 500 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(dp.port, { path: '/p' })).status);
    expect(statuses).toEqual([200, 200, 200]);
  });

  it("answers 500 'An unexpected error occurred' when Redis is down and fault_tolerant is off", async () => {
    const [dp] = await dataPlanes(1, { minute: 1, policy: 'redis', fault_tolerant: false, redis: { host: '127.0.0.1', port: await closedPort(), timeout: 500 } });
    const res = await send(dp.port, { path: '/p' });
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toMatchObject({ message: 'An unexpected error occurred' });
    expect(upstream.seen).toHaveLength(0);
  });
});
