// The Admin API over real HTTP against a real Postgres: Kong's shapes, defaults and errors.
import { useAdminHarness } from '../testing/admin-harness';

jest.setTimeout(60_000);

const { call, latestVersion } = useAdminHarness();

/**
 * The configuration_version GET /status reports once the snapshot of the newest committed version is
 * published (the version advances in the write's transaction; the snapshot follows it), waited for
 * rather than slept for, so a busy machine cannot make it stale.
 */
async function configVersion(): Promise<number> {
  const committed = await latestVersion();
  let reported: unknown;
  for (let i = 0; i < 400; i++) {
    reported = (await call('GET', '/status')).body.configuration_version;
    if (reported === committed) return committed;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`GET /status still reports configuration_version ${String(reported)}, not the committed ${committed}`);
}

describe('Admin API: node information', () => {
  it('GET / describes the node as Kong does', async () => {
    const { status, body } = await call('GET', '/');
    expect(status).toBe(200);
    expect(body).toMatchObject({ tagline: 'Welcome to archway', version: '0.1.0', edition: 'community' });
    expect(body.node_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof body.hostname).toBe('string');
    expect(body.plugins.available_on_server['key-auth']).toEqual({ version: '0.1.0', priority: 1250 });
    expect(body.plugins.enabled_in_cluster).toEqual([]);
  });

  it('GET /status reports the database reachable', async () => {
    expect((await call('GET', '/status')).body.database).toEqual({ reachable: true });
  });
});

describe('Admin API: services and routes', () => {
  it('runs the Kong tutorial with form bodies: service by url, then a nested route', async () => {
    const svc = await call('POST', '/services', 'name=hello-service&url=http://127.0.0.1:8080');
    expect(svc.status).toBe(201);
    expect(svc.body).toMatchObject({ name: 'hello-service', protocol: 'http', host: '127.0.0.1', port: 8080, path: null, retries: 5 });
    const route = await call('POST', '/services/hello-service/routes', 'paths[]=/hello&strip_path=false');
    expect(route.status).toBe(201);
    expect(route.body).toMatchObject({ paths: ['/hello'], strip_path: false, service: { id: svc.body.id }, protocols: ['http', 'https'] });
    expect((await call('GET', `/routes/${route.body.id}/service`)).body.id).toBe(svc.body.id);
    expect((await call('GET', '/services/hello-service/routes')).body.data.map((r: { id: string }) => r.id)).toEqual([route.body.id]);
  });

  it('answers 400 naming the key field for a PUT whose path key holds a NUL, and writes nothing (fuzz seed 367374046)', async () => {
    await call('PUT', '/consumers/nul-owner', {});
    const before = await configVersion();
    const res = await call('PUT', '/consumers/nul-owner/jwt/a%00b', {});
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({ key: 'must not contain a NUL character or an unpaired UTF-16 surrogate' });
    expect((await call('PUT', '/consumers/a%00b', {})).body.fields).toEqual({ username: 'must not contain a NUL character or an unpaired UTF-16 surrogate' });
    expect((await call('GET', '/consumers/nul-owner/jwt')).body.data).toEqual([]);
    expect(await configVersion()).toBe(before);
  });

  it('advances the config version by exactly one per write, and not on a rejected write', async () => {
    const before = await configVersion();
    await call('POST', '/services', { name: 'versioned', host: 'v.test' });
    expect(await configVersion()).toBe(before + 1);
    await call('POST', '/services', { name: 'versioned', host: 'v.test' }); // 409
    await call('POST', '/services', { host: 'v.test', port: 99999 }); // 400
    expect(await configVersion()).toBe(before + 1);
  });

  it('answers 400 naming the field for an out-of-range port, and writes nothing', async () => {
    const count = (await call('GET', '/services?size=1000')).body.data.length;
    const res = await call('POST', '/services', 'name=bad&host=a.test&port=70000');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: 2,
      name: 'schema violation',
      message: 'schema violation (port: value should be between 0 and 65535)',
      fields: { port: 'value should be between 0 and 65535' },
    });
    expect((await call('GET', '/services?size=1000')).body.data.length).toBe(count);
  });

  it('answers 400 for an unknown field and for a wrong type', async () => {
    expect((await call('POST', '/services', { host: 'a.test', colour: 'red' })).body.fields).toEqual({ colour: 'unknown field' });
    expect((await call('POST', '/services', { host: 'a.test', retries: 'x' })).body.fields).toEqual({ retries: 'expected an integer' });
  });

  it('answers 409 with Kong\'s message for a duplicate name', async () => {
    await call('POST', '/services', { name: 'dup', host: 'a.test' });
    const res = await call('POST', '/services', { name: 'dup', host: 'b.test' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      code: 5,
      name: 'unique constraint violation',
      message: 'UNIQUE violation detected on \'{name="dup"}\'',
      fields: { name: 'dup' },
    });
  });

  it('answers 404 {"message":"Not found"} for a missing entity and an unknown path', async () => {
    expect(await call('GET', '/services/nope')).toMatchObject({ status: 404, body: { message: 'Not found' } });
    expect(await call('GET', '/no-such-endpoint')).toMatchObject({ status: 404, body: { message: 'Not found' } });
  });

  it('refuses a route without any matching field', async () => {
    const res = await call('POST', '/routes', { name: 'empty' });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({
      '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"],
    });
  });

  it('resolves `service.name=` on /routes and answers 400 (code 4) for an unknown service', async () => {
    const svc = (await call('POST', '/services', { name: 'by-name', host: 'n.test' })).body;
    const ok = await call('POST', '/routes', 'service.name=by-name&paths[]=/by-name');
    expect(ok.status).toBe(201);
    expect(ok.body.service).toEqual({ id: svc.id });
    const bad = await call('POST', '/routes', 'service.name=ghost&paths[]=/ghost');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 4, name: 'foreign key violation' });
  });

  it('PATCH changes only the given fields; PUT upserts by name with 200', async () => {
    const svc = (await call('POST', '/services', { name: 'patchme', host: 'p.test' })).body;
    const patched = await call('PATCH', '/services/patchme', 'port=8081');
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: svc.id, host: 'p.test', port: 8081, created_at: svc.created_at });
    const created = await call('PUT', '/services/put-new', { host: 'put.test' });
    expect(created.status).toBe(200);
    expect(created.body.name).toBe('put-new');
    const replaced = await call('PUT', '/services/put-new', { host: 'put2.test' });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: created.body.id, host: 'put2.test', port: 80 });
  });

  it('refuses to delete a service that routes reference, deleting nothing', async () => {
    const svc = (await call('POST', '/services', { name: 'in-use', host: 'u.test' })).body;
    await call('POST', '/services/in-use/routes', { paths: ['/in-use'] });
    const res = await call('DELETE', '/services/in-use');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 4, name: 'foreign key violation' });
    expect((await call('GET', `/services/${svc.id}`)).status).toBe(200);
  });

  it('DELETE answers 204, also when the entity is already gone', async () => {
    await call('POST', '/services', { name: 'gone', host: 'g.test' });
    expect((await call('DELETE', '/services/gone')).status).toBe(204);
    expect((await call('DELETE', '/services/gone')).status).toBe(204);
    expect((await call('GET', '/services/gone')).status).toBe(404);
  });

  it('paginates with size, an opaque offset and a next link until next is null', async () => {
    for (let i = 0; i < 5; i++) await call('POST', '/services', { name: `page-${i}`, host: 'page.test' });
    const all = (await call('GET', '/services?size=1000')).body.data.map((s: { id: string }) => s.id);
    const seen: string[] = [];
    let path: string | null = '/services?size=2';
    while (path) {
      const page: { body: { data: { id: string }[]; next: string | null } } = await call('GET', path);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((s) => s.id));
      path = page.body.next;
    }
    expect(seen).toEqual(all);
  });

  it('answers 400 (code 7) for an invalid offset', async () => {
    const res = await call('GET', '/services?offset=garbage');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 7, name: 'invalid offset' });
  });

  it('answers 400 "Cannot parse JSON body" and 415 for an unsupported content type', async () => {
    expect(await call('POST', '/services', '{"host":', 'application/json')).toMatchObject({
      status: 400,
      body: { message: 'Cannot parse JSON body' },
    });
    expect((await call('POST', '/services', 'host=a', 'text/plain')).status).toBe(415);
  });
});
