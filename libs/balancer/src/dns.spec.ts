import { compileBalancer } from './balancer';
import type { BalancerLogger } from './types';
import { FakeClock, FakeResolver, ctx, distribution, makeTarget, makeUpstream, pickOk } from './testing/fixtures';

function setup(targets: string[], fields: Record<string, unknown> = {}) {
  const clock = new FakeClock();
  const resolver = new FakeResolver();
  const warnings: string[] = [];
  const logger: BalancerLogger = { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m) };
  const u = makeUpstream(fields);
  const ts = targets.map((t) => makeTarget(u, t));
  const compile = (previous?: ReturnType<typeof compileBalancer>) =>
    compileBalancer(u, ts, { clock, resolver, logger, previous });
  return { clock, resolver, warnings, compile, u };
}

describe('DNS service discovery', () => {
  it('turns each A record of a target name into a peer with the target weight and the name as Host', async () => {
    const { resolver, compile } = setup(['api.svc:8080']);
    resolver.setA('api.svc', ['10.1.0.2', '10.1.0.1']);
    const b = compile();
    expect(b.pick(ctx())).toBeNull(); // not resolved yet
    await b.ready();
    expect(distribution(b, 4)).toEqual({ '10.1.0.1:8080': 2, '10.1.0.2:8080': 2 });
    expect(pickOk(b).hostHeader).toBe('api.svc');
    expect(b.health()[0]).toMatchObject({
      health: 'HEALTHCHECKS_OFF',
      data: { host: 'api.svc', port: 8080, dns: 'A', weight: { total: 200 }, addresses: [{ ip: '10.1.0.1', weight: 100 }, { ip: '10.1.0.2' }] },
    });
    b.close();
  });

  it('falls back to AAAA when the name has no A record', async () => {
    const { resolver, compile } = setup(['v6.svc:80']);
    resolver.aaaa.set('v6.svc', [{ address: '::1', ttl: 30 }]);
    const b = compile();
    await b.ready();
    expect(pickOk(b)).toMatchObject({ host: '::1', address: '[::1]:80' });
    expect(b.health()[0].data.dns).toBe('AAAA');
    b.close();
  });

  it('re-resolves before the TTL expires and follows the new addresses without a config change', async () => {
    const { resolver, compile, clock } = setup(['api.svc:80']);
    resolver.setA('api.svc', ['10.1.0.1'], 10);
    const b = compile();
    await b.ready();
    resolver.setA('api.svc', ['10.1.0.7', '10.1.0.8'], 10);
    await clock.advance(8000);
    expect(distribution(b, 2)).toEqual({ '10.1.0.1:80': 2 });
    await clock.advance(1000); // 90% of the TTL
    expect(distribution(b, 2)).toEqual({ '10.1.0.7:80': 1, '10.1.0.8:80': 1 });
    b.close();
    expect(clock.pending()).toBe(0);
  });

  it('keeps the last good addresses when a refresh fails (stale-on-error)', async () => {
    const { resolver, compile, clock, warnings } = setup(['api.svc:80']);
    resolver.setA('api.svc', ['10.1.0.1'], 10);
    const b = compile();
    await b.ready();
    resolver.fail('api.svc');
    await clock.advance(60_000);
    expect(warnings[0]).toBe('DNS resolution failed, keeping the last good addresses');
    expect(distribution(b, 2)).toEqual({ '10.1.0.1:80': 2 });
    expect(b.health()[0].health).toBe('HEALTHCHECKS_OFF');
    b.close();
  });

  it('reports DNS_ERROR for a name that never resolved, and retries until it does', async () => {
    const { resolver, compile, clock } = setup(['api.svc:80', '10.0.0.1:80']);
    resolver.fail('api.svc', 'ENOTFOUND');
    const b = compile();
    await b.ready();
    const health = b.health()[0];
    expect(health.health).toBe('DNS_ERROR');
    expect(health.data.dns).toMatch(/^dns error: /);
    expect(distribution(b, 2)).toEqual({ '10.0.0.1:80': 2 });
    resolver.setA('api.svc', ['10.1.0.1']);
    await clock.advance(1000);
    expect(b.health()[0].health).toBe('HEALTHCHECKS_OFF');
    b.close();
  });

  it('uses the top-priority SRV records with their ports and weights, split over each host address', async () => {
    const { resolver, compile } = setup(['_http._tcp.api.svc:80']);
    resolver.srv.set('_http._tcp.api.svc', {
      ttl: 30,
      records: [
        { name: 'a.svc', port: 9001, priority: 1, weight: 30 },
        { name: '10.2.0.9', port: 0, priority: 1, weight: 0 },
        { name: 'backup.svc', port: 9003, priority: 5, weight: 100 },
      ],
    });
    resolver.setA('a.svc', ['10.2.0.1', '10.2.0.2']);
    const b = compile();
    await b.ready();
    const data = b.health()[0].data;
    expect(data.dns).toBe('SRV');
    expect(data.addresses.map((a) => [a.ip, a.port, a.weight])).toEqual([
      ['10.2.0.1', 9001, 15],
      ['10.2.0.2', 9001, 15],
      ['10.2.0.9', 80, 1],
    ]);
    expect(pickOk(b).hostHeader).toBe('_http._tcp.api.svc');
    b.close();
  });

  it('sends the SRV record name as Host when use_srv_name is set', async () => {
    const { resolver, compile } = setup(['_http._tcp.api.svc:80'], { use_srv_name: true });
    resolver.srv.set('_http._tcp.api.svc', { ttl: 30, records: [{ name: 'a.svc', port: 9001, priority: 1, weight: 1 }] });
    resolver.setA('a.svc', ['10.2.0.1']);
    const b = compile();
    await b.ready();
    expect(pickOk(b).hostHeader).toBe('a.svc');
    b.close();
  });

  it('a recompile reuses fresh DNS answers and carries peer health over', async () => {
    const { resolver, compile, clock } = setup(['api.svc:80'], { healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } } });
    resolver.setA('api.svc', ['10.1.0.1', '10.1.0.2'], 60);
    const old = compile();
    await old.ready();
    const bad = pickOk(old);
    old.report(bad, { ok: false, tcpError: true });
    const queries = resolver.queries;
    const next = compile(old);
    old.close();
    await next.ready();
    expect(resolver.queries).toBe(queries);
    expect(next.health()[0].data.addresses.find((a) => a.ip === bad.host)?.health).toBe('UNHEALTHY');
    expect(pickOk(next).address).not.toBe(bad.address);
    await clock.advance(54_000);
    expect(resolver.queries).toBeGreaterThan(queries);
    next.close();
  });
});
