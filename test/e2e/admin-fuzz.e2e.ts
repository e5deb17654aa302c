// Malformed bodies at every POST, PATCH and PUT the Admin API serves (paths from GET /endpoints,
// methods from GET /openapi.json), black-box against a control plane from the build. Asserts: never a
// 5xx, every 4xx body has Kong's `message`, and a rejected write changes nothing (same config version,
// same entity counts). ARCHWAY_FUZZ_SEED=<n> replays a run; a failure prints its seed.
import { fuzzRequest, Rng } from '../support/fuzz-bodies';
import { selfSigned, useAdminProcess } from '../support/admin-process';

jest.setTimeout(600_000);

const REQUESTS = Number(process.env.ARCHWAY_FUZZ_REQUESTS ?? 2000);
const BUDGET_MS = 240_000;
const seed = Number(process.env.ARCHWAY_FUZZ_SEED ?? Date.now() % 2 ** 31);
const COUNTED = ['services', 'routes', 'consumers', 'plugins', 'upstreams', 'targets', 'certificates', 'snis', 'ca_certificates', 'key-auths', 'basic-auths', 'jwts', 'acls'];

const admin = useAdminProcess();
/** endpoint parameter ({services}, {v}, …) -> values that name something, and some that don't */
const params = new Map<string, string[]>();

/** One of each entity, so nested and entity paths reach real rows. */
async function seedFixtures() {
  const svc = await admin.created('/services', { name: 'fz-svc', host: 'fz.test' });
  const route = await admin.created('/services/fz-svc/routes', { name: 'fz-route', paths: ['/fz'] });
  const consumer = await admin.created('/consumers', { username: 'fz-consumer' });
  const up = await admin.created('/upstreams', { name: 'fz.upstream' });
  const target = await admin.created('/upstreams/fz.upstream/targets', { target: '10.0.0.2:80' });
  const cert = await admin.created('/certificates', { ...selfSigned(false, 'fz.test'), snis: ['fz.test'] });
  const ca = await admin.created('/ca_certificates', { cert: selfSigned(true, 'ca.fz.test').cert });
  const plugin = await admin.created('/plugins', { name: 'cors', instance_name: 'fz-plugin' });
  const key = await admin.created('/consumers/fz-consumer/key-auth', { key: 'fz-key' });
  const basic = await admin.created('/consumers/fz-consumer/basic-auth', { username: 'fz-basic', password: 'pw' });
  const jwt = await admin.created('/consumers/fz-consumer/jwt', { key: 'fz-iss' });
  const acl = await admin.created('/consumers/fz-consumer/acls', { group: 'fz-group' });
  const sni = (await admin.call('GET', '/snis/fz.test')).body;
  const add = (name: string, ...values: string[]) => params.set(name, values);
  add('services', svc.id, 'fz-svc');
  add('routes', route.id, 'fz-route');
  add('consumers', consumer.id, 'fz-consumer');
  add('upstreams', up.id, 'fz.upstream');
  add('targets', target.id, '10.0.0.2:80');
  add('certificates', cert.id, 'fz.test');
  add('snis', sni.id, 'fz.test');
  add('ca_certificates', ca.id);
  add('plugins', plugin.id, 'fz-plugin');
  add('keyauth_credentials', key.id, 'fz-key');
  add('basicauth_credentials', basic.id, 'fz-basic');
  add('jwt_secrets', jwt.id, 'fz-iss');
  add('acls', acl.id);
  add('db_entity_name', 'services', 'routes', 'plugins', 'consumers', 'nope');
  add('name', 'services', 'key-auth', 'nope');
  add('v', '1', '0', '-1', '99999999999999999999', 'x');
}

function fill(r: Rng, path: string): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const known = params.get(name) ?? [];
    if (known.length && r.chance(0.8)) return encodeURIComponent(r.pick(known));
    if (r.chance(0.3)) return r.pick(['%00', 'a%00b', '%ED%A0%80', '%E0%A4%A', '%FF', '%', '__proto__', 'constructor']); // raw: bytes that are not UTF-8 text
    return encodeURIComponent(r.pick(['8c1c6f0e-2f1a-4d4b-9b1e-3c1d2e3f4a5b', 'fz-unknown', '%', 'ü😀', ' ', '..', 'a'.repeat(300)]));
  });
}

/** The POST/PATCH/PUT endpoints, from the server itself. */
async function writeEndpoints(): Promise<[string, string][]> {
  const paths = (await admin.call('GET', '/endpoints')).body.data as string[];
  const doc = (await admin.call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  const out: [string, string][] = [];
  for (const path of paths)
    for (const method of ['post', 'patch', 'put'])
      if (doc.paths[path]?.[method]) out.push([method.toUpperCase(), path]);
  return out;
}

async function state(): Promise<{ version: number; counts: Record<string, number> }> {
  const [versions, ...lists] = await Promise.all([
    admin.call('GET', '/config/versions?size=1'),
    ...COUNTED.map((p) => admin.call('GET', `/${p}?size=1000`)),
  ]);
  const counts = Object.fromEntries(COUNTED.map((p, i) => [p, lists[i].body.data.length + (lists[i].body.next ? 1000 : 0)]));
  return { version: versions.body.data[0]?.version ?? 0, counts };
}

beforeAll(async () => {
  await seedFixtures();
});

describe(`malformed bodies at every write endpoint (seed ${seed}; replay with ARCHWAY_FUZZ_SEED=${seed})`, () => {
  it('never answers 5xx, answers Kong-shaped 4xx, and a rejected write changes nothing', async () => {
    const endpoints = await writeEndpoints();
    expect(endpoints.length).toBeGreaterThan(50);
    const r = new Rng(seed);
    const started = Date.now();
    let before = await state();
    const failures: string[] = [];
    let sent = 0;
    for (; sent < REQUESTS && Date.now() - started < BUDGET_MS && failures.length < 10; sent++) {
      const [method, template] = r.pick(endpoints);
      const path = fill(r, template);
      const req = fuzzRequest(r, template);
      const res = await admin.call(method, path, req.body, req.type);
      const what = `#${sent} ${method} ${path} (${req.describe.slice(0, 300)}) -> ${res.status} ${res.text.slice(0, 300)}`;
      if (res.status >= 500) failures.push(`5xx: ${what}`);
      else if (res.status >= 400 && typeof res.body?.message !== 'string') failures.push(`4xx without a message: ${what}`);
      const after = await state();
      if (res.status >= 400 && JSON.stringify(after) !== JSON.stringify(before))
        failures.push(`a rejected write changed something: ${what}\n  before ${JSON.stringify(before)}\n  after  ${JSON.stringify(after)}`);
      before = after;
    }
    if (failures.length) throw new Error(`seed ${seed} (replay: ARCHWAY_FUZZ_SEED=${seed}), ${sent} requests:\n${failures.join('\n')}\n${admin.harness().proc.tail(20)}`);
  });
});
