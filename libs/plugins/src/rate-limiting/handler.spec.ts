import type { Chain, PluginHandler } from '@archway/pipeline';
import { chainFor, consumer, pluginInstance, runChain, service, type FakeRequest } from '../testing/spec-kit';
import { createRateLimitingHandler } from './handler';
import { LocalCounters } from './policies/local';

/** 2024-03-15T10:20:30Z: mid-minute, mid-month */
const T0 = Date.UTC(2024, 2, 15, 10, 20, 30);

function limiter(config: Record<string, unknown>, clock: { now: number } = { now: T0 }, scope?: Parameters<typeof pluginInstance>[2]) {
  const handler = createRateLimitingHandler({ counters: new LocalCounters(), clock: () => clock.now }) as unknown as PluginHandler;
  const chain = chainFor([pluginInstance('rate-limiting', config, scope)], new Map([['rate-limiting', handler]]));
  return (req: FakeRequest = {}) => runChain(chain, req, { status: 200 });
}

const headersOf = (r: Awaited<ReturnType<ReturnType<typeof limiter>>>) => r.ctx.responseHeaders;

describe('rate-limiting (local policy)', () => {
  it("lets 3 requests a minute through with Kong's headers, then answers 429 'API rate limit exceeded' with Retry-After", async () => {
    const send = limiter({ minute: 3 });
    const first = await send();
    expect(first.ctx.exitResponse).toBeNull();
    expect(headersOf(first)).toMatchObject({
      'X-RateLimit-Limit-Minute': '3',
      'X-RateLimit-Remaining-Minute': '2',
      'RateLimit-Limit': '3',
      'RateLimit-Remaining': '2',
      'RateLimit-Reset': '30',
    });
    await send();
    expect(headersOf(await send())).toMatchObject({ 'RateLimit-Remaining': '0', 'X-RateLimit-Remaining-Minute': '0' });
    const over = await send();
    expect(over.ctx.exitResponse).toEqual({
      status: 429,
      body: { message: 'API rate limit exceeded' },
      headers: {
        'X-RateLimit-Limit-Minute': '3',
        'X-RateLimit-Remaining-Minute': '0',
        'RateLimit-Limit': '3',
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': '30',
        'Retry-After': '30',
      },
      error: true,
    });
  });

  it('writes limits and counts beyond 2^30 in full (hour: 10^12, 10^9 + 5)', async () => {
    expect(headersOf(await limiter({ hour: 1e12 })())).toMatchObject({
      'X-RateLimit-Limit-Hour': '1000000000000',
      'X-RateLimit-Remaining-Hour': '999999999999',
      'RateLimit-Limit': '1000000000000',
      'RateLimit-Remaining': '999999999999',
    });
    expect(headersOf(await limiter({ day: 1e9 + 5 })())).toMatchObject({ 'X-RateLimit-Limit-Day': '1000000005', 'RateLimit-Remaining': '1000000004' });
  });

  it('counts in fixed windows aligned to the UTC minute: a new minute lets requests through again', async () => {
    const clock = { now: Date.UTC(2024, 2, 15, 10, 20, 59, 900) };
    const send = limiter({ minute: 1 }, clock);
    expect(headersOf(await send())['RateLimit-Reset']).toBe('1');
    expect((await send()).ctx.exitResponse?.status).toBe(429);
    clock.now = Date.UTC(2024, 2, 15, 10, 21, 0);
    const next = await send();
    expect(next.ctx.exitResponse).toBeNull();
    expect(headersOf(next)['RateLimit-Reset']).toBe('60');
  });

  it('describes in RateLimit-* the window with the fewest requests left, the longer window on a tie', async () => {
    const send = limiter({ second: 3, minute: 10 });
    expect(headersOf(await send())).toMatchObject({ 'RateLimit-Limit': '3', 'RateLimit-Remaining': '2', 'RateLimit-Reset': '1', 'X-RateLimit-Limit-Minute': '10', 'X-RateLimit-Remaining-Minute': '9' });
    const tie = limiter({ minute: 5, hour: 5 });
    // 10:20:30 -> 39:30 left in the hour
    expect(headersOf(await tie())).toMatchObject({ 'RateLimit-Limit': '5', 'RateLimit-Remaining': '4', 'RateLimit-Reset': String(3600 - 20 * 60 - 30) });
  });

  it("resets month and year windows on the UTC first of the month and of January, counting Kong's 30-day month", async () => {
    const clock = { now: Date.UTC(2024, 2, 31, 23, 59, 59) };
    const send = limiter({ month: 1 }, clock);
    const elapsed = 30 * 86400 + 23 * 3600 + 59 * 60 + 59;
    expect(headersOf(await send())['RateLimit-Reset']).toBe(String(Math.max(1, 2592000 - elapsed)));
    expect((await send()).ctx.exitResponse?.status).toBe(429);
    clock.now = Date.UTC(2024, 3, 1, 0, 0, 0);
    expect((await send()).ctx.exitResponse).toBeNull();
    const yearly = limiter({ year: 1 }, clock);
    await yearly();
    clock.now = Date.UTC(2024, 11, 31, 23, 0, 0);
    expect((await yearly()).ctx.exitResponse?.status).toBe(429);
    clock.now = Date.UTC(2025, 0, 1, 0, 0, 0);
    expect((await yearly()).ctx.exitResponse).toBeNull();
  });

  it('keeps each window until it ends: second, minute and hour roll over on their own boundaries, and a clock stepping back uses its own windows', async () => {
    const clock = { now: Date.UTC(2024, 2, 15, 10, 59, 59, 400) };
    const send = limiter({ second: 2, minute: 3, hour: 4 }, clock);
    const at = async (ms: number) => {
      clock.now = ms;
      const r = await send();
      return [r.ctx.exitResponse?.status ?? 200, r.ctx.responseHeaders['X-RateLimit-Remaining-Second'], r.ctx.responseHeaders['X-RateLimit-Remaining-Minute'], r.ctx.responseHeaders['X-RateLimit-Remaining-Hour']];
    };
    expect(await at(Date.UTC(2024, 2, 15, 10, 59, 59, 400))).toEqual([200, '1', '2', '3']);
    expect(await at(Date.UTC(2024, 2, 15, 10, 59, 59, 999))).toEqual([200, '0', '1', '2']);
    // 11:00:00: a new second, minute and hour at once
    expect(await at(Date.UTC(2024, 2, 15, 11, 0, 0, 0))).toEqual([200, '1', '2', '3']);
    expect(await at(Date.UTC(2024, 2, 15, 11, 0, 1, 0))).toEqual([200, '1', '1', '2']);
    // back into the last second of 10:59 (its windows are gone: counted into the current ones), Reset from 10:59:59
    const back = await (async () => {
      clock.now = Date.UTC(2024, 2, 15, 10, 59, 59, 500);
      return send();
    })();
    expect(back.ctx.responseHeaders).toMatchObject({ 'X-RateLimit-Remaining-Minute': '0', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '1' });
    expect(await at(Date.UTC(2024, 2, 15, 11, 1, 0, 0))).toEqual([200, '1', '2', '0']);
    expect((await at(Date.UTC(2024, 2, 15, 11, 1, 0, 1)))[0]).toBe(429);
  });

  it('answers with error_code and error_message when configured', async () => {
    const send = limiter({ second: 1, error_code: 503, error_message: 'slow down' });
    await send();
    expect((await send()).ctx.exitResponse).toMatchObject({ status: 503, body: { message: 'slow down' }, error: true });
  });

  it('sends no rate-limit headers (nor Retry-After) when hide_client_headers is on', async () => {
    const send = limiter({ minute: 1, hide_client_headers: true });
    expect(Object.keys(headersOf(await send())).filter((h) => /ratelimit/i.test(h))).toEqual([]);
    expect((await send()).ctx.exitResponse).toMatchObject({ status: 429, headers: null });
  });

  it('replaces rate-limit headers the upstream sent with its own', async () => {
    const handler = createRateLimitingHandler({ counters: new LocalCounters(), clock: () => T0 }) as unknown as PluginHandler;
    const chain = chainFor([pluginInstance('rate-limiting', { minute: 3 })], new Map([['rate-limiting', handler]]));
    const r = await runChain(chain, {}, { status: 200, headers: { 'ratelimit-limit': '1000' } });
    expect(r.ctx.responseHeaders['ratelimit-limit']).toBeUndefined();
    expect(r.ctx.responseHeaders['RateLimit-Limit']).toBe('3');
  });
});

describe('rate-limiting limit_by', () => {
  const alice = consumer('11111111-1111-4111-8111-111111111111', 'alice');
  const bob = consumer('22222222-2222-4222-8222-222222222222', 'bob');
  const cred = (id: string) => ({ id, identifier: id });

  /** runs the limiter once per request after `prepare` sets who is calling; returns the statuses */
  async function statuses(config: Record<string, unknown>, reqs: (FakeRequest & { as?: typeof alice | null; credential?: string })[]) {
    const handler = createRateLimitingHandler({ counters: new LocalCounters(), clock: () => T0 }) as unknown as PluginHandler;
    // an authentication plugin stand-in that identifies the consumer from the request
    const auth: PluginHandler = {
      name: 'fake-auth',
      priority: 1000,
      version: '1',
      access(ctx) {
        const who = ctx.header('x-who');
        const c = who === 'alice' ? alice : who === 'bob' ? bob : null;
        const credential = ctx.header('x-cred');
        if (c || credential) ctx.authenticate(c, credential ? cred(credential) : null);
      },
    };
    const chain: Chain = chainFor([pluginInstance('rate-limiting', config)], new Map([['rate-limiting', handler]]));
    const withAuth: Chain = { ...chain, access: [{ plugin: { name: 'fake-auth' } as never, handler: auth, state: undefined }, ...(chain.access ?? [])], forConsumer: () => withAuth };
    const out: number[] = [];
    for (const r of reqs) {
      const headers: Record<string, string> = { ...(r.headers as Record<string, string>) };
      if (r.as) headers['x-who'] = r.as.username as string;
      if (r.credential) headers['x-cred'] = r.credential;
      out.push((await runChain(withAuth, { ...r, headers })).ctx.exitResponse?.status ?? 200);
    }
    return out;
  }

  it('consumer: one counter per consumer; without one, the credential, then the client IP', async () => {
    expect(await statuses({ minute: 1 }, [{ as: alice }, { as: bob }, { as: alice }, { clientIp: '10.0.0.1' }, { clientIp: '10.0.0.2' }, { clientIp: '10.0.0.1' }])).toEqual([
      200, 200, 429, 200, 200, 429,
    ]);
    expect(await statuses({ minute: 1 }, [{ credential: 'c1' }, { credential: 'c1', clientIp: '10.9.9.9' }, { credential: 'c2' }])).toEqual([200, 429, 200]);
  });

  it('credential: one counter per credential, the client IP without one', async () => {
    expect(await statuses({ minute: 1, limit_by: 'credential' }, [{ as: alice, credential: 'c1' }, { as: bob, credential: 'c1' }, { as: alice }, { as: bob }])).toEqual([200, 429, 200, 429]);
  });

  it('ip: one counter per client IP, whoever the consumer', async () => {
    expect(await statuses({ minute: 1, limit_by: 'ip' }, [{ as: alice }, { as: bob }, { clientIp: '10.0.0.3' }])).toEqual([200, 429, 200]);
  });

  it('service: one counter for every caller of the service', async () => {
    expect(await statuses({ minute: 2, limit_by: 'service' }, [{ clientIp: '10.0.0.1' }, { clientIp: '10.0.0.2' }, { clientIp: '10.0.0.3' }])).toEqual([200, 200, 429]);
  });

  it('header: one counter per value of header_name, the client IP when it is missing', async () => {
    const cfg = { minute: 1, limit_by: 'header', header_name: 'X-Tenant' };
    expect(await statuses(cfg, [{ headers: { 'x-tenant': 'a' } }, { headers: { 'x-tenant': 'b' } }, { headers: { 'x-tenant': 'a' }, clientIp: '10.1.1.1' }, {}, {}])).toEqual([
      200, 200, 429, 200, 429,
    ]);
  });

  it('path: requests to the configured path share one counter, other paths count per client IP', async () => {
    const cfg = { minute: 1, limit_by: 'path', path: '/slow' };
    expect(await statuses(cfg, [{ path: '/slow', clientIp: '10.0.0.1' }, { path: '/slow', clientIp: '10.0.0.2' }, { path: '/fast', clientIp: '10.0.0.3' }, { path: '/fast', clientIp: '10.0.0.4' }])).toEqual([
      200, 429, 200, 200,
    ]);
  });

  it('keeps counting an identifier after more than 10,000 other identifiers came by', async () => {
    const send = limiter({ minute: 2, limit_by: 'ip' });
    expect((await send({ clientIp: '10.0.0.1' })).ctx.exitResponse).toBeNull();
    for (let i = 0; i < 10_001; i++) await send({ clientIp: `10.1.${i >> 8}.${i & 255}` });
    expect(headersOf(await send({ clientIp: '10.0.0.1' }))['X-RateLimit-Remaining-Minute']).toBe('0');
    expect((await send({ clientIp: '10.0.0.1' })).ctx.exitResponse?.status).toBe(429);
  });

  it('keeps separate counters per route: a plugin on another route does not use this one', async () => {
    const counters = new LocalCounters();
    const handler = createRateLimitingHandler({ counters, clock: () => T0 }) as unknown as PluginHandler;
    const handlers = new Map([['rate-limiting', handler]]);
    const onRoute = chainFor([pluginInstance('rate-limiting', { minute: 1 })], handlers);
    const onService = chainFor([pluginInstance('rate-limiting', { minute: 1 }, { service: { id: service.id } } as never)], handlers);
    expect((await runChain(onRoute)).ctx.exitResponse).toBeNull();
    expect((await runChain(onService)).ctx.exitResponse).toBeNull();
    expect((await runChain(onRoute)).ctx.exitResponse?.status).toBe(429);
  });
});

describe('LocalCounters', () => {
  it('forgets a window once the next one starts (no growth over time)', () => {
    const c = new LocalCounters();
    c.increment(1, 60_000, 'a');
    c.increment(1, 60_000, 'b');
    expect(c.size('minute')).toBe(2);
    expect(c.get(1, 120_000, 'a')).toBe(0);
    expect(c.size('minute')).toBe(0);
    // a late request for the old window (clock stepped back) counts into the current one
    c.increment(1, 60_000, 'a');
    expect(c.get(1, 120_000, 'a')).toBe(1);
  });

  it('holds at most maxKeys per window, evicting the oldest key first', () => {
    const c = new LocalCounters(2);
    c.increment(0, 1000, 'a');
    c.increment(0, 1000, 'b');
    c.increment(0, 1000, 'a');
    c.increment(0, 1000, 'c');
    expect(c.size('second')).toBe(2);
    expect([c.get(0, 1000, 'a'), c.get(0, 1000, 'b'), c.get(0, 1000, 'c')]).toEqual([0, 1, 1]);
  });
});
