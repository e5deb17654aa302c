import type { Upstream } from '@archway/schema';
import { compileBalancer } from './balancer';
import { ctx, distribution, makeTarget, makeUpstream, pickOk } from './testing/fixtures';

const ips = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i + 1}:80`);

function ring(u: Upstream, targets: string[]) {
  return compileBalancer(u, targets.map((t) => makeTarget(u, t)));
}

function owners(u: Upstream, targets: string[], keys: string[]): string[] {
  const b = ring(u, targets);
  return keys.map((k) => pickOk(b, ctx({ headers: { 'x-user': k } })).address);
}

describe('consistent-hashing', () => {
  const u = makeUpstream({ algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'X-User' });
  const keys = Array.from({ length: 2000 }, (_, i) => `user-${i}`);

  it('sends the same key to the same target every time, on every data plane', () => {
    const a = owners(u, ips(4), keys);
    expect(owners(u, ips(4), keys)).toEqual(a);
    expect(owners(u, [...ips(4)].reverse(), keys)).toEqual(a);
  });

  it('spreads keys over all targets roughly evenly', () => {
    const counts: Record<string, number> = {};
    for (const o of owners(u, ips(4), keys)) counts[o] = (counts[o] ?? 0) + 1;
    expect(Object.keys(counts)).toHaveLength(4);
    for (const c of Object.values(counts)) expect(c).toBeGreaterThan(250);
  });

  it('moves only about 1/n of the keys when a target is added', () => {
    const before = owners(u, ips(4), keys);
    const after = owners(u, ips(5), keys);
    const moved = before.filter((o, i) => o !== after[i]);
    expect(moved.length / keys.length).toBeGreaterThan(0.1);
    expect(moved.length / keys.length).toBeLessThan(0.3);
    // a key that moved, moved to the new target
    expect(after.filter((o, i) => o !== before[i]).every((o) => o === '10.0.0.5:80')).toBe(true);
  });

  it("gives an unhealthy target's keys to another target and takes them back", () => {
    const hc = makeUpstream({
      algorithm: 'consistent-hashing',
      hash_on: 'header',
      hash_on_header: 'X-User',
      healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } },
    });
    const b = ring(hc, ips(3));
    const c = () => ctx({ headers: { 'x-user': 'alice' } });
    const home = pickOk(b, c());
    b.report(home, { ok: false, tcpError: true });
    const away = pickOk(b, c());
    expect(away).not.toBe(home);
    b.setHealth(home.target, true);
    expect(pickOk(b, c())).toBe(home);
  });

  it('hashes the fallback (client ip) when the header is missing', () => {
    const fb = makeUpstream({ algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'X-User', hash_fallback: 'ip' });
    const b = ring(fb, ips(8));
    const byIp = (ip: string) => pickOk(b, ctx({ clientIp: ip })).address;
    expect(new Set(Array.from({ length: 50 }, (_, i) => byIp(`192.168.0.${i}`))).size).toBeGreaterThan(1);
    expect(byIp('192.168.0.7')).toBe(byIp('192.168.0.7'));
    const c = ctx({ clientIp: '192.168.0.7' });
    b.pick(c);
    expect(c.hashValue).toBe('192.168.0.7');
  });

  it('hashes consumer (credential when no consumer), path, query_arg and uri_capture as Kong does', () => {
    const value = (fields: Record<string, unknown>, init: Parameters<typeof ctx>[0]) => {
      const c = ctx(init);
      ring(makeUpstream({ algorithm: 'consistent-hashing', ...fields }), ips(2)).pick(c);
      return c.hashValue;
    };
    expect(value({ hash_on: 'consumer' }, { consumerId: 'c1', credentialId: 'k1' })).toBe('c1');
    expect(value({ hash_on: 'consumer' }, { credentialId: 'k1' })).toBe('k1');
    expect(value({ hash_on: 'path' }, { path: '/a/b' })).toBe('/a/b');
    expect(value({ hash_on: 'query_arg', hash_on_query_arg: 'id' }, { query: 'id=2&x=1&id=1' })).toBe('1,2');
    expect(value({ hash_on: 'query_arg', hash_on_query_arg: 'flag' }, { query: 'flag' })).toBe('true');
    expect(value({ hash_on: 'uri_capture', hash_on_uri_capture: 'tenant' }, { uriCaptures: { tenant: 'acme' } })).toBe('acme');
    expect(value({ hash_on: 'none' }, {})).toBe('');
  });

  it('sets a cookie when hashing on a missing cookie, then sticks to it', () => {
    const cu = makeUpstream({ algorithm: 'consistent-hashing', hash_on: 'cookie', hash_on_cookie: 'sticky', hash_on_cookie_path: '/app' });
    const b = ring(cu, ips(5));
    const first = ctx();
    const peer = pickOk(b, first);
    expect(first.setCookie).toMatch(/^sticky=[0-9a-f-]{36}; Path=\/app; Same-Site=Lax; HttpOnly$/);
    const cookie = (first.setCookie as string).split(';')[0];
    for (let i = 0; i < 5; i++) {
      const again = ctx({ headers: { cookie: `other=1; ${cookie}` } });
      expect(pickOk(b, again)).toBe(peer);
      expect(again.setCookie).toBeNull();
    }
  });

  it('with hash_on none, all requests land on one target (the empty key), like Kong', () => {
    const none = makeUpstream({ algorithm: 'consistent-hashing' });
    expect(Object.keys(distribution(ring(none, ips(3)), 20))).toHaveLength(1);
  });
});
