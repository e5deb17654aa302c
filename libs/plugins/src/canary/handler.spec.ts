import type { ConfigureEnv } from '@archway/pipeline';
import { serviceSchema, validateEntity, type ConfigSet, type Service } from '@archway/schema';
import { silentLogger } from '@archway/telemetry';
import { contextFor, service, type FakeRequest } from '../testing/spec-kit';
import { configOf } from '../testing/config-of';
import { rampShare } from './bucket';
import { canaryHandler, rebasePath, type CanaryState } from './handler';
import { canarySchema } from './schema';

const v2 = validateEntity<Service>(serviceSchema, { host: 'v2.test', path: '/v2' }, 'create');

function configure(config: Record<string, unknown>): CanaryState {
  const { value, error } = configOf(canarySchema, config);
  if (error) throw new Error(JSON.stringify(error));
  const set = { services: [service, v2], routes: [] } as unknown as ConfigSet;
  const env: ConfigureEnv = { config: set, logger: silentLogger, shared: (_k, build) => build(set), index: () => { throw new Error('canary builds no index'); } };
  return canaryHandler.configure!(value as Record<string, unknown>, env);
}

/** Runs access for one request; returns where it was sent (null: the route's service). */
function send(s: CanaryState, req: FakeRequest = {}, consumerId?: string) {
  const ctx = contextFor(req);
  if (consumerId) ctx.authenticate({ id: consumerId, username: null, custom_id: null }, null);
  void canaryHandler.access!(ctx, s);
  return ctx.upstreamOverride;
}

const ips = (n: number) => Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);

describe('canary', () => {
  it('sends about the configured percentage of distinct client IPs to the canary (30% ± 5 over 2,000)', () => {
    const s = configure({ percentage: 30, hash: 'ip', upstream_host: 'canary.test', upstream_port: 8080 });
    const hits = ips(2000).filter((ip) => send(s, { clientIp: ip }) !== null).length;
    expect(hits / 20).toBeGreaterThanOrEqual(25);
    expect(hits / 20).toBeLessThanOrEqual(35);
    expect(send(s, { clientIp: ips(2000).find((ip) => send(s, { clientIp: ip }))! })).toEqual({ host: 'canary.test', port: 8080 });
  });

  it('keeps the same client IP, consumer or header value on the same side', () => {
    const byIp = configure({ percentage: 50, hash: 'ip', upstream_uri: '/canary' });
    const byConsumer = configure({ percentage: 50, upstream_uri: '/canary' });
    const byHeader = configure({ percentage: 50, hash: 'header', hash_header: 'X-User', upstream_uri: '/canary' });
    const sides = [new Set<boolean>(), new Set<boolean>(), new Set<boolean>()];
    for (let i = 0; i < 40; i++) {
      const id = `user-${i}`;
      const first = [send(byIp, { clientIp: `10.0.0.${i}` }), send(byConsumer, {}, id), send(byHeader, { headers: { 'x-user': id } })];
      first.forEach((f, k) => sides[k].add(f !== null));
      for (let again = 0; again < 5; again++) {
        // the IP changes for the consumer and header cases: only the identifier decides
        expect(send(byIp, { clientIp: `10.0.0.${i}` })).toEqual(first[0]);
        expect(send(byConsumer, { clientIp: `192.168.0.${again}` }, id)).toEqual(first[1]);
        expect(send(byHeader, { clientIp: `192.168.0.${again}`, headers: { 'x-user': id } })).toEqual(first[2]);
      }
    }
    // both sides were exercised
    for (const side of sides) expect(side.size).toBe(2);
  });

  it('hashes the client IP when hash is consumer and nobody authenticated', () => {
    const s = configure({ percentage: 50, upstream_uri: '/canary' });
    const seen = new Set(ips(200).map((ip) => send(s, { clientIp: ip }) !== null));
    expect(seen).toEqual(new Set([true, false]));
  });

  it('lets canary_by_header_name force a request: "always" to the canary, "never" to the service', () => {
    const none = configure({ percentage: 0, upstream_uri: '/canary', canary_by_header_name: 'X-Canary' });
    const all = configure({ percentage: 100, upstream_uri: '/canary', canary_by_header_name: 'X-Canary' });
    expect(send(none)).toBeNull();
    expect(send(none, { headers: { 'x-canary': 'always' } })).toEqual({ path: '/canary' });
    expect(send(all)).toEqual({ path: '/canary' });
    expect(send(all, { headers: { 'x-canary': 'never' } })).toBeNull();
    expect(send(all, { headers: { 'x-canary': 'maybe' } })).toEqual({ path: '/canary' });
  });

  it('ramps the share from 0 at start to 100 after duration, in steps, keeping canary clients on the canary', () => {
    const start = 1_700_000_000;
    const s = configure({ start, duration: 100, steps: 4, hash: 'ip', upstream_host: 'canary.test' });
    const at = (seconds: number) => {
      s.now = () => (start + seconds) * 1000;
      return new Set(ips(2000).filter((ip) => send(s, { clientIp: ip }) !== null));
    };
    expect(at(-10).size).toBe(0);
    expect(at(10).size).toBe(0); // first step not reached yet (25% at 25 s)
    const quarter = at(30);
    expect(quarter.size / 20).toBeGreaterThanOrEqual(20);
    expect(quarter.size / 20).toBeLessThanOrEqual(30);
    const half = at(60);
    expect(half.size / 20).toBeGreaterThanOrEqual(45);
    expect(half.size / 20).toBeLessThanOrEqual(55);
    for (const ip of quarter) expect(half.has(ip)).toBe(true);
    expect(at(100).size).toBe(2000);
    expect(rampShare((start + 50) * 1000, start, 100, 1000)).toBe(50);
  });

  it('lets percentage win over a ramp', () => {
    const s = configure({ percentage: 100, start: 4_000_000_000, upstream_uri: '/c' });
    expect(send(s)).toEqual({ path: '/c' });
  });

  it('picks at random per request when hash is none', () => {
    const s = configure({ percentage: 20, hash: 'none', upstream_uri: '/c' });
    s.random = () => 0.1;
    expect(send(s)).toEqual({ path: '/c' });
    s.random = () => 0.3;
    expect(send(s)).toBeNull();
  });

  it("sends to target_service with the path moved onto that service's path", () => {
    const s = configure({ percentage: 100, target_service: { id: v2.id } });
    expect(send(s, { path: '/users/1' })).toEqual({ serviceId: v2.id, path: '/v2/users/1' });
    const fixed = configure({ percentage: 100, target_service: { id: v2.id }, upstream_uri: '/fixed' });
    expect(send(fixed, { path: '/users/1' })).toEqual({ serviceId: v2.id, path: '/fixed' });
  });

  it('rebases paths between service paths as the router would have joined them', () => {
    expect(rebasePath('/v1/users', '/v1', '/v2')).toBe('/v2/users');
    expect(rebasePath('/v1', '/v1', '/v2')).toBe('/v2');
    expect(rebasePath('/v1/users', '/v1/', '/')).toBe('/users');
    expect(rebasePath('/users', null, '/v2/')).toBe('/v2/users');
    expect(rebasePath('/', '/', '/v2')).toBe('/v2');
    expect(rebasePath('/elsewhere', '/v1', '/v2')).toBe('/elsewhere');
    expect(rebasePath('/v10/x', '/v1', '/v2')).toBe('/v10/x');
  });
});
