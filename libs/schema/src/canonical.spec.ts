import { createHash } from 'node:crypto';
import { canonicalConfig, configHash, emptyConfig, makeSnapshot } from './canonical';
import { validateEntity } from './entity';
import { routeSchema } from './entities/route';
import { serviceSchema } from './entities/service';
import type { Route, Service } from './types';

const service = validateEntity<Service>(serviceSchema, { name: 's', url: 'http://a.test' }, 'create', { now: 1 });
const route = validateEntity<Route>(routeSchema, { paths: ['/a'], service: { id: service.id } }, 'create', { now: 1 });

const EMPTY_HASH = 'b744ec1758db3c8fd7c328dfee8da0cbf056d9f2ac5189cc38d2396aa9ea7208';
const EXAMPLE_HASH = '52046850d4105452f937815c77d038d455ded434f4f4bf406159b192b50253d6';

describe('canonical config hash', () => {
  it('is the same whatever the order of entities and keys', () => {
    const shuffled = Object.fromEntries(Object.entries(route).reverse()) as unknown as Route;
    const other = validateEntity<Route>(routeSchema, { paths: ['/b'] }, 'create', { now: 1 });
    expect(configHash({ services: [service], routes: [route, other] })).toBe(
      configHash({ routes: [other, shuffled], services: [service] }),
    );
  });

  it('is the SHA-256 of the canonical JSON for a config far larger than one hashed piece (64 KiB), unsorted', () => {
    const routes: Route[] = [];
    for (let i = 0; i < 1500; i++) routes.push(validateEntity<Route>(routeSchema, { paths: [`/p${i}`], service: { id: service.id } }, 'create', { now: i }));
    const config = { ...emptyConfig(), services: [service], routes: routes.reverse() };
    expect(canonicalConfig(config).length).toBeGreaterThan(4 * 64 * 1024);
    expect(configHash(config)).toBe(createHash('sha256').update(canonicalConfig(config)).digest('hex'));
  });

  it('gives the same hash with a memo of canonical JSON, and takes an entity it remembers from the memo', () => {
    const memo = new WeakMap<object, string>();
    const config = { services: [service], routes: [route] };
    expect(configHash(config, memo)).toBe(configHash(config));
    expect(JSON.parse(memo.get(route) as string)).toEqual(JSON.parse(JSON.stringify(route)));
    // the memo is trusted for the objects it holds: that is what lets a caller skip re-encoding them
    memo.set(route, '{"id":"remembered"}');
    expect(configHash(config, memo)).not.toBe(configHash(config));
  });

  it('changes when any field changes', () => {
    const a = configHash({ services: [service], routes: [route] });
    const b = configHash({ services: [service], routes: [{ ...route, strip_path: false }] });
    expect(a).not.toBe(b);
  });

  it('encodes every collection, keys sorted, with no whitespace', () => {
    expect(canonicalConfig(emptyConfig())).toBe(
      '{"acls":[],"basicauth_credentials":[],"ca_certificates":[],"certificates":[],"consumers":[],"jwt_secrets":[],' +
        '"keyauth_credentials":[],"plugins":[],"routes":[],"services":[],"snis":[],"targets":[],"upstreams":[]}',
    );
  });

  it('counts a collection that is not spelled out as empty', () => {
    expect(configHash({ services: [], routes: [] })).toBe(configHash(emptyConfig()));
    expect(configHash({ services: [service] })).toBe(configHash({ ...emptyConfig(), services: [service] }));
  });

  it('gives the worked hashes of docs/sync-protocol.md', () => {
    expect(configHash(emptyConfig())).toBe(EMPTY_HASH);
    const example = {
      routes: [{ headers: { 'x-v': ['1'] }, id: 'a', sources: [{ ip: '10.0.0.0/8', port: null }] }],
      services: [{ id: 'b', name: null, port: 80, tags: ['x'] }],
      plugins: [{ id: 'c', config: { minute: 60, ratio: 0.5, nested: { on: true } } }],
    } as unknown as Parameters<typeof configHash>[0];
    expect(canonicalConfig(example)).toContain(
      '"plugins":[{"config":{"minute":60,"nested":{"on":true},"ratio":0.5},"id":"c"}],' +
        '"routes":[{"headers":{"x-v":["1"]},"id":"a","sources":[{"ip":"10.0.0.0/8","port":null}]}],' +
        '"services":[{"id":"b","name":null,"port":80,"tags":["x"]}]',
    );
    expect(configHash(example)).toBe(EXAMPLE_HASH);
  });

  it('writes numbers as JavaScript does, so a double that holds an integer hashes as the integer', () => {
    const plugin = (config: Record<string, unknown>) => ({ ...emptyConfig(), plugins: [{ id: 'p', config }] }) as never;
    expect(canonicalConfig(plugin({ n: 60.0, r: 0.1, z: -0 }))).toContain('{"n":60,"r":0.1,"z":0}');
  });

  it('freezes snapshots and stamps the hash', () => {
    const s = makeSnapshot(3, { ...emptyConfig(), services: [service], routes: [route] });
    expect(Object.isFrozen(s)).toBe(true);
    expect(s.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
