import { createHash } from 'node:crypto';
import { addDigest, canonicalConfig, canonicalEntity, configHash, configHashFromSum, emptyConfig, EntityDigests, entityDigest, makeSnapshot } from './canonical';
import { validateEntity } from './entity';
import { routeSchema } from './entities/route';
import { serviceSchema } from './entities/service';
import type { Route, Service } from './types';

const service = validateEntity<Service>(serviceSchema, { name: 's', url: 'http://a.test' }, 'create', { now: 1 });
const route = validateEntity<Route>(routeSchema, { paths: ['/a'], service: { id: service.id } }, 'create', { now: 1 });

const EMPTY_HASH = '66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925';
const EXAMPLE_HASH = '45c767bd36eced22f9a450584d4368ba475365b8c47fc57fdfcfa74b850f2a93';

describe('canonical config hash', () => {
  it('is the same whatever the order of entities and keys', () => {
    const shuffled = Object.fromEntries(Object.entries(route).reverse()) as unknown as Route;
    const other = validateEntity<Route>(routeSchema, { paths: ['/b'] }, 'create', { now: 1 });
    expect(configHash({ services: [service], routes: [route, other] })).toBe(
      configHash({ routes: [other, shuffled], services: [service] }),
    );
  });

  it('is the SHA-256 of the sum mod 2^256 of the entities\' digests, each the SHA-256 of "<collection>:<canonical JSON>"', () => {
    const routes: Route[] = [];
    for (let i = 0; i < 300; i++) routes.push(validateEntity<Route>(routeSchema, { paths: [`/p${i}`], service: { id: service.id } }, 'create', { now: i }));
    const config = { ...emptyConfig(), services: [service], routes: routes.reverse() };
    let sum = 0n;
    for (const [kind, list] of [['services', [service]], ['routes', routes]] as const)
      for (const e of list) sum += BigInt(`0x${createHash('sha256').update(`${kind}:${canonicalEntity(e)}`).digest('hex')}`);
    const bytes = Buffer.from((sum % (1n << 256n)).toString(16).padStart(64, '0'), 'hex');
    expect(configHash(config)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('updates by adding and taking out digests: one entity changed costs two digests', () => {
    const other = validateEntity<Route>(routeSchema, { paths: ['/b'], service: { id: service.id } }, 'create', { now: 2 });
    const changed = { ...route, strip_path: false };
    let sum = 0n;
    for (const e of [route, other]) sum = addDigest(sum, entityDigest('routes', canonicalEntity(e)));
    sum = addDigest(sum, entityDigest('services', canonicalEntity(service)));
    sum = addDigest(sum, -entityDigest('routes', canonicalEntity(route)));
    sum = addDigest(sum, entityDigest('routes', canonicalEntity(changed)));
    expect(configHashFromSum(sum)).toBe(configHash({ services: [service], routes: [changed, other] }));
  });

  it('with remembered digests gives the same hash, and a changed entity (a new object) is digested anew', () => {
    const digests = new EntityDigests();
    const config = { services: [service], routes: [route] };
    expect(configHash(config, digests)).toBe(configHash(config));
    const changed = { services: [service], routes: [{ ...route, strip_path: !route.strip_path }] };
    expect(configHash(changed, digests)).toBe(configHash(changed));
    expect(configHash(changed, digests)).not.toBe(configHash(config, digests));
    expect(makeSnapshot(1, { ...emptyConfig(), ...changed }, digests).hash).toBe(configHash(changed));
  });

  it('tells the same entity in two collections apart', () => {
    const e = { id: 'x' } as never;
    expect(configHash({ services: [e] })).not.toBe(configHash({ routes: [e] }));
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
