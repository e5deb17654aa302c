// The redis policy against the machine's real Redis (127.0.0.1:6379, as in CI).
import { compileChains, type ChainSet, type PluginHandler, type PluginLogger } from '@archway/pipeline';
import type { ConfigSet } from '@archway/schema';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { pluginInstance, route, runChain, service } from '../testing/spec-kit';
import { createRateLimitingHandler } from './handler';
import { redisClientUsers } from './policies/redis';
import { RespClient } from './policies/resp-client';

/** a port nothing listens on (bound, then released) */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

const REDIS_PORT = Number(process.env.ARCHWAY_TEST_REDIS_PORT ?? 6379);
const redisOpts = { host: '127.0.0.1', port: REDIS_PORT, timeout: 2000, username: null, password: null, database: 0, ssl: false, sslVerify: false, serverName: null };

/** each test its own minute, so keys never collide across tests or runs */
let minute = Math.floor(Date.now() / 60_000) * 60_000 + 7 * 86_400_000;
const nextMinute = () => (minute += 60_000) + 15_000;

const logs: { msg: string; fields?: Record<string, unknown> }[] = [];
const logger: PluginLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (msg, fields) => void logs.push({ msg, fields }) };

const open: ChainSet[] = [];
function compile(config: Record<string, unknown>, now: number): ChainSet {
  const handler = createRateLimitingHandler({ clock: () => now }) as unknown as PluginHandler;
  const set = { services: [service], routes: [route], plugins: [pluginInstance('rate-limiting', { policy: 'redis', ...config })] } as unknown as ConfigSet;
  const chains = compileChains({ config: set, handlers: new Map([['rate-limiting', handler]]), logger });
  open.push(chains);
  return chains;
}

const status = async (chains: ChainSet, clientIp = '10.0.0.1') => (await runChain(chains.forRoute(route), { clientIp }, { status: 200 })).ctx;

let admin: RespClient;
beforeAll(() => {
  admin = new RespClient(redisOpts);
});
afterAll(() => admin.close());
afterEach(() => {
  open.splice(0).forEach((c) => c.dispose());
  logs.length = 0;
});

describe('rate-limiting (redis policy)', () => {
  const redis = { host: '127.0.0.1', port: REDIS_PORT };

  it('shares one count between plugin instances (two data planes) and answers 429 past the limit', async () => {
    const t = nextMinute();
    const a = compile({ minute: 3, redis }, t);
    const b = compile({ minute: 3, redis }, t);
    const seen = [];
    for (const chains of [a, b, a, b]) seen.push((await status(chains)).exitResponse?.status ?? 200);
    expect(seen).toEqual([200, 200, 200, 429]);
    const last = await status(a);
    expect(last.exitResponse).toMatchObject({ status: 429, body: { message: 'API rate limit exceeded' }, headers: { 'RateLimit-Remaining': '0', 'Retry-After': '45' } });
  });

  it("keeps Kong's key (ratelimit:<route>:<service>:<identifier>:<window start>:<period>) with the window's expiry", async () => {
    const t = nextMinute();
    const ctx = await status(compile({ minute: 5, hour: 10, redis }, t), '10.7.7.7');
    expect(ctx.responseHeaders).toMatchObject({ 'X-RateLimit-Remaining-Minute': '4', 'X-RateLimit-Remaining-Hour': '9' });
    const key = `ratelimit:${route.id}:00000000-0000-0000-0000-000000000000:10.7.7.7:${t - 15_000}:minute`;
    expect(await admin.command(['GET', key])).toBe('1');
    const ttl = (await admin.command(['TTL', key])) as number;
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
    const hourStart = t - (t % 3_600_000);
    expect(await admin.command(['TTL', `ratelimit:${route.id}:00000000-0000-0000-0000-000000000000:10.7.7.7:${hourStart}:hour`])).toBeGreaterThan(3500);
  });

  it('lets requests through without headers when Redis is unreachable and fault_tolerant is on, and logs why', async () => {
    const chains = compile({ minute: 1, redis: { host: '127.0.0.1', port: await closedPort(), timeout: 500 } }, nextMinute());
    for (let i = 0; i < 3; i++) {
      const ctx = await status(chains);
      expect(ctx.exitResponse).toBeNull();
      expect(ctx.responseHeaders['RateLimit-Limit']).toBeUndefined();
    }
    expect(logs.some((l) => l.msg.includes('fault_tolerant'))).toBe(true);
  });

  it("answers 500 'An unexpected error occurred' when Redis is unreachable and fault_tolerant is off", async () => {
    const chains = compile({ minute: 1, fault_tolerant: false, redis: { host: '127.0.0.1', port: await closedPort(), timeout: 500 } }, nextMinute());
    expect((await status(chains)).exitResponse).toEqual({ status: 500, body: { message: 'An unexpected error occurred' }, headers: null, error: true });
  });

  it('shares one client per Redis config and releases it when the instances are disposed (no leak across snapshots)', async () => {
    const before = redisClientUsers();
    const t = nextMinute();
    const first = compile({ minute: 10, redis }, t);
    const second = compile({ minute: 20, redis }, t);
    expect(redisClientUsers()).toBe(before + 2);
    first.dispose();
    second.dispose();
    expect(redisClientUsers()).toBe(before);
  });
});
