// GET /config and POST /config: the whole config in Kong's declarative format, replaced all or
// nothing in one version, against a real control plane on a real Postgres.
import { useAdminHarness } from '../testing/admin-harness';

jest.setTimeout(120_000);

const { call, latestVersion } = useAdminHarness();

const FILE = {
  _format_version: '3.0',
  services: [
    {
      name: 'orders',
      url: 'http://orders.internal:8080/v1',
      routes: [{ name: 'orders-route', paths: ['/orders'], plugins: [{ name: 'key-auth' }] }],
      plugins: [{ name: 'rate-limiting', config: { minute: 5 } }],
    },
  ],
  consumers: [
    {
      username: 'bob',
      keyauth_credentials: [{ key: 'bob-key' }],
      basicauth_credentials: [{ username: 'bob', password: 'secret' }],
      acls: [{ group: 'admins' }],
    },
  ],
  upstreams: [{ name: 'orders-up', targets: [{ target: '10.0.0.1:8080' }, { target: '10.0.0.2' }] }],
};

describe('POST /config and GET /config', () => {
  it('imports a nested file in one version and exports it back nested', async () => {
    const before = await latestVersion();
    const res = await call('POST', '/config', FILE);
    expect(res.status).toBe(201);
    expect(Object.keys(res.body.routes)).toHaveLength(1);
    expect(await latestVersion()).toBe(before + 1);

    const { status, body } = await call('GET', '/config');
    expect(status).toBe(200);
    expect(body).toMatchObject({ _format_version: '3.0', _transform: false });
    const orders = body.services[0];
    expect(orders).toMatchObject({ name: 'orders', host: 'orders.internal', port: 8080, path: '/v1' });
    expect(orders.routes[0]).toMatchObject({ name: 'orders-route', paths: ['/orders'] });
    expect(orders.routes[0]).not.toHaveProperty('service');
    expect(orders.routes[0].plugins[0]).toMatchObject({ name: 'key-auth', config: { key_names: ['apikey'] } });
    expect(orders.plugins[0]).toMatchObject({ name: 'rate-limiting' });
    expect(body.consumers[0].keyauth_credentials[0]).toMatchObject({ key: 'bob-key' });
    expect(body.upstreams[0].targets.map((t: { target: string }) => t.target).sort()).toEqual(['10.0.0.1:8080', '10.0.0.2:8000']);
    expect(body).not.toHaveProperty('routes');
  });

  it('round-trips: posting the export back (nested or flat) changes nothing, 304 with check_hash=1', async () => {
    const v = await latestVersion();
    const nested = (await call('GET', '/config')).body;
    const flat = (await call('GET', '/config?flat=true')).body;
    expect(flat.routes[0].service).toEqual({ id: nested.services[0].id });
    expect(flat.keyauth_credentials).toHaveLength(1);
    expect((await call('POST', '/config?check_hash=1', nested)).status).toBe(304);
    expect((await call('POST', '/config?check_hash=1', flat)).status).toBe(304);
    expect((await call('POST', '/config', nested)).status).toBe(201);
    expect((await call('POST', '/config?check_hash=1', FILE)).status).toBe(304);
    expect(await latestVersion()).toBe(v);
  });

  it('validates plugins by their own schema and fills their defaults', async () => {
    const { body } = await call('GET', '/plugins?size=100');
    const limits = body.data.find((p: { name: string }) => p.name === 'rate-limiting');
    expect(limits.config).toMatchObject({ minute: 5, policy: 'local', limit_by: 'consumer', fault_tolerant: true });
  });

  it('writes credentials nested under consumers for that consumer, hashing basic-auth passwords', async () => {
    expect((await call('GET', '/consumers/bob/key-auth')).body.data.map((k: { key: string }) => k.key)).toEqual(['bob-key']);
    expect((await call('GET', '/consumers/bob/acls')).body.data[0].group).toBe('admins');
    const [basic] = (await call('GET', '/consumers/bob/basic-auth')).body.data;
    expect(basic.password).toMatch(/^[0-9a-f]{40}$/);
  });

  it('replaces everything: what the file lacks is deleted, with its history, in one version', async () => {
    const v = await latestVersion();
    const res = await call('POST', '/config', {
      _format_version: '3.0',
      services: [{ name: 'orders', url: 'http://orders.internal:9090/v1' }],
    });
    expect(res.status).toBe(201);
    expect(await latestVersion()).toBe(v + 1);
    expect((await call('GET', '/services/orders')).body.port).toBe(9090);
    for (const path of ['/routes/orders-route', '/consumers/bob', '/upstreams/orders-up']) expect((await call('GET', path)).status).toBe(404);
    const { body } = await call('GET', `/config/versions/${v + 1}/diff`);
    const ops = body.changes.map((c: { op: string; entity: string }) => `${c.op} ${c.entity}`);
    expect(ops).toEqual(expect.arrayContaining(['update services', 'delete routes', 'delete consumers', 'delete keyauth_credentials', 'delete targets', 'delete upstreams']));
    // key-auth on the route and rate-limiting on the service go with them
    expect(ops.filter((o: string) => o === 'delete plugins')).toHaveLength(2);
    // a rollback brings it all back
    expect((await call('POST', `/config/rollback/${v}`)).status).toBe(201);
    expect((await call('GET', '/consumers/bob/key-auth')).body.data).toHaveLength(1);
  });

  it('resolves references by name, and moves a route to a new service when the old one goes', async () => {
    await call('POST', '/config', { _format_version: '3.0', services: [{ name: 'a', host: 'a.test' }], routes: [{ name: 'r', paths: ['/r'], service: 'a' }], consumers: [{ username: 'c' }], plugins: [{ name: 'rate-limiting', route: 'r', consumer: 'c', config: { second: 1 } }] });
    const route = (await call('GET', '/routes/r')).body;
    expect(route.service.id).toBe((await call('GET', '/services/a')).body.id);
    expect((await call('GET', '/routes/r/plugins')).body.data[0].consumer.id).toBe((await call('GET', '/consumers/c')).body.id);

    const res = await call('POST', '/config', { _format_version: '3.0', services: [{ name: 'b', host: 'b.test', routes: [{ id: route.id, name: 'r', paths: ['/r'] }] }] });
    expect(res.status).toBe(201);
    expect((await call('GET', '/routes/r/service')).body.name).toBe('b');
    expect((await call('GET', '/services/a')).status).toBe(404);
  });

  it('lists every error at once (code 14, where each one is) and writes nothing', async () => {
    const v = await latestVersion();
    const services = (await call('GET', '/services')).body.data;
    const res = await call('POST', '/config', {
      _format_version: '3.0',
      services: [{ name: 'ok', host: 'ok.test' }, { name: 'bad-port', host: 'x.test', port: 70000 }, { name: 's', host: 's.test', plugins: [{ name: 'rate-limiting', config: { minute: 'many' } }] }],
      routes: [{ name: 'dangling', paths: ['/d'], service: 'nowhere' }],
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 14, name: 'invalid declarative configuration' });
    expect(res.body.flattened_errors).toHaveLength(3);
    expect(res.body.message).toContain('services[1].port: value should be between 0 and 65535');
    expect(res.body.message).toContain('services[2].plugins[0].config.minute: expected a number');
    expect(res.body.message).toContain("routes[0].service: invalid reference 'service: nowhere' (no such entry in 'services')");
    expect(res.body.fields.services[1].port).toBe('value should be between 0 and 65535');
    expect(await latestVersion()).toBe(v);
    expect((await call('GET', '/services')).body.data).toEqual(services);
  });

  it('takes the file as a JSON or YAML string in `config`, as Kong does, and says what is wrong with one', async () => {
    const text = JSON.stringify({ _format_version: '3.0', consumers: [{ username: 'from-string' }] });
    expect((await call('POST', '/config', { config: text })).status).toBe(201);
    expect((await call('GET', '/consumers/from-string')).status).toBe(200);
    expect((await call('POST', '/config', `config=${encodeURIComponent(text)}&check_hash=1`)).status).toBe(304);
    const bad = await call('POST', '/config', { config: 'bobby tables' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 14, fields: { error: 'failed parsing declarative configuration: expected an object' } });
    const yaml = "_format_version: '3.0'\nconsumers:\n- username: from-yaml\n";
    expect((await call('POST', '/config', { config: yaml })).status).toBe(201);
    expect((await call('GET', '/consumers/from-yaml')).status).toBe(200);
    expect(await call('POST', '/config', {})).toMatchObject({ status: 400, body: { message: 'expected a declarative configuration' } });
  });

  it('imports a 2,000-entity file in one version', async () => {
    const v = await latestVersion();
    const services = Array.from({ length: 1000 }, (_, i) => ({ name: `svc-${i}`, host: `svc-${i}.test`, routes: [{ name: `route-${i}`, paths: [`/svc-${i}`] }] }));
    const res = await call('POST', '/config', { _format_version: '3.0', services });
    expect(res.status).toBe(201);
    expect(await latestVersion()).toBe(v + 1);
    const { body } = await call('GET', `/config/versions/${v + 1}/diff`);
    expect(body.changes.filter((c: { op: string }) => c.op === 'create')).toHaveLength(2000);
    expect((await call('GET', '/config')).body.services).toHaveLength(1000);
  });
});
