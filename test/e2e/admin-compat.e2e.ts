// Kong Admin API compatibility, black-box against a control plane started from the build: defaults,
// url shorthand, PUT upserts, nested endpoints and every error shape, after Kong's
// spec/02-integration/04-admin_api/*_routes_spec.lua. Lists, tags, bodies and cascades are in
// admin-compat-lists.e2e.ts.
import { selfSigned, useAdminProcess } from '../support/admin-process';

jest.setTimeout(120_000);

const admin = useAdminProcess();
const { call, created } = admin;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING = '0b7d5a4e-8c1f-4e2a-9d3b-6f5e4d3c2b1a';

describe('defaults of every entity (kong/db/schema/entities/*.lua)', () => {
  it('creates a service with Kong defaults: http, port 80, 5 retries, 60000 ms timeouts, nulls elsewhere', async () => {
    const s = await created('/services', { host: 'service.test' });
    expect(s).toEqual({
      id: expect.stringMatching(UUID), created_at: expect.any(Number), updated_at: expect.any(Number),
      name: null, protocol: 'http', host: 'service.test', port: 80, path: null, retries: 5,
      connect_timeout: 60000, write_timeout: 60000, read_timeout: 60000, tags: null,
      client_certificate: null, tls_verify: null, tls_verify_depth: null, ca_certificates: null, enabled: true,
    });
  });

  it('creates a route with Kong defaults: http and https, strip_path, v0 path handling, 426 redirect', async () => {
    const r = await created('/routes', { paths: ['/defaults'] });
    expect(r).toMatchObject({
      name: null, protocols: ['http', 'https'], methods: null, hosts: null, paths: ['/defaults'], headers: null,
      https_redirect_status_code: 426, regex_priority: 0, strip_path: true, path_handling: 'v0', preserve_host: false,
      request_buffering: true, response_buffering: true, snis: null, sources: null, destinations: null, tags: null, service: null,
    });
  });

  it('creates a consumer with null custom_id and tags', async () => {
    expect(await created('/consumers', { username: 'defaults' })).toMatchObject({ username: 'defaults', custom_id: null, tags: null });
  });

  it('creates an upstream with round-robin, 10000 slots, no hashing and health checks off', async () => {
    const u = await created('/upstreams', { name: 'defaults.upstream' });
    expect(u).toMatchObject({ algorithm: 'round-robin', slots: 10000, hash_on: 'none', hash_fallback: 'none', hash_on_cookie_path: '/' });
    expect(u.healthchecks.threshold).toBe(0);
    expect(u.healthchecks.active).toMatchObject({ type: 'http', http_path: '/', timeout: 1, concurrency: 10 });
    expect(u.healthchecks.active.healthy).toMatchObject({ interval: 0, successes: 0 });
    expect(u.healthchecks.passive.unhealthy).toMatchObject({ http_failures: 0, tcp_failures: 0, timeouts: 0 });
  });

  it('creates a target with weight 100 and port 8000 when none is given', async () => {
    const t = await created('/upstreams/defaults.upstream/targets', { target: '10.1.2.3' });
    expect(t).toMatchObject({ target: '10.1.2.3:8000', weight: 100 });
  });

  it('creates a plugin enabled, global, with its config defaults filled in', async () => {
    const p = await created('/plugins', { name: 'rate-limiting', config: { minute: 5 } });
    expect(p).toMatchObject({ enabled: true, route: null, service: null, consumer: null, instance_name: null });
    expect(p.config).toMatchObject({ minute: 5, second: null, policy: 'local', limit_by: 'consumer', fault_tolerant: true });
    expect(p.protocols).toEqual(expect.arrayContaining(['http', 'https']));
  });

  it('creates credentials with generated keys and secrets, and hashes basic-auth passwords', async () => {
    await created('/consumers', { username: 'creds' });
    expect((await created('/consumers/creds/key-auth', {})).key).toMatch(/^[\w-]{16,}$/);
    const jwt = await created('/consumers/creds/jwt', {});
    expect(jwt).toMatchObject({ algorithm: 'HS256', key: expect.any(String), secret: expect.any(String), rsa_public_key: null });
    const basic = await created('/consumers/creds/basic-auth', { username: 'creds', password: 'open sesame' });
    expect(basic.password).not.toBe('open sesame');
    expect(await created('/consumers/creds/acls', { group: 'admins' })).toMatchObject({ group: 'admins', consumer: { id: expect.any(String) } });
  });

  it('creates certificates with an empty snis list, snis and ca_certificates with their digests', async () => {
    const pair = selfSigned(false, 'defaults.test');
    const cert = await created('/certificates', pair);
    expect(cert).toMatchObject({ snis: [], tags: null, cert_alt: null, key_alt: null });
    expect(await created('/snis', { name: 'defaults.test', certificate: { id: cert.id } })).toMatchObject({ name: 'defaults.test', tags: null });
    const ca = await created('/ca_certificates', { cert: selfSigned(true, 'ca.defaults.test').cert });
    expect(ca.cert_digest).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("a service's url shorthand (Kong: 'creates a service with url')", () => {
  it.each([
    ['http://service.test/', { protocol: 'http', host: 'service.test', port: 80, path: '/' }],
    ['https://service.test/', { protocol: 'https', host: 'service.test', port: 443, path: '/' }],
    ['http://service.test:8080/a/b', { protocol: 'http', host: 'service.test', port: 8080, path: '/a/b' }],
    ['http://127.0.0.1:9000', { protocol: 'http', host: '127.0.0.1', port: 9000, path: null }],
  ])("'port' and 'path' follow the url %s", async (url, expected) => {
    expect(await created('/services', { url })).toMatchObject(expected);
  });

  it('accepts the url as a form field too', async () => {
    expect(await created('/services', 'url=https://form.test:8443/x')).toMatchObject({ protocol: 'https', host: 'form.test', port: 8443, path: '/x' });
  });

  it.each([[''], [' '], ['not a url']])('client error with an invalid url %j', async (url) => {
    const res = await call('POST', '/services', { url });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 2, name: 'schema violation' });
  });

  it('PATCH with a url replaces protocol, host, port and path', async () => {
    await created('/services', { name: 'moving', url: 'http://a.test/old' });
    const res = await call('PATCH', '/services/moving', { url: 'https://b.test:9443' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ protocol: 'https', host: 'b.test', port: 9443, path: null });
  });
});

describe('PUT upserts (Kong: "creates if not found", "replaces if found")', () => {
  it('PUT /services/{name} creates a service named in the path (200)', async () => {
    const res = await call('PUT', '/services/put-by-name', { host: 'put.test' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'put-by-name', host: 'put.test', port: 80 });
  });

  it('PUT /services/{id} creates a service with that id (200)', async () => {
    const id = 'c3d2e1f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f';
    const res = await call('PUT', `/services/${id}`, { host: 'put-id.test' });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(id);
  });

  it('PUT replaces every field: what the body omits goes back to its default, the id stays', async () => {
    const first = await call('PUT', '/services/replaced', { host: 'r.test', port: 8080, retries: 2, tags: ['t'] });
    const second = await call('PUT', '/services/replaced', { host: 'r2.test' });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id: first.body.id, name: 'replaced', host: 'r2.test', port: 80, retries: 5, tags: null });
  });

  it('the name in the path wins over the body', async () => {
    const res = await call('PUT', '/services/path-wins', { name: 'body-name', host: 'p.test' });
    expect(res.body.name).toBe('path-wins');
    expect((await call('GET', '/services/body-name')).status).toBe(404);
  });

  it('PUT by id and by name on routes, consumers and upstreams', async () => {
    expect((await call('PUT', '/routes/put-route', { paths: ['/put'] })).body).toMatchObject({ name: 'put-route', paths: ['/put'] });
    expect((await call('PUT', '/consumers/put-consumer', {})).body).toMatchObject({ username: 'put-consumer' });
    expect((await call('PUT', '/upstreams/put.upstream', {})).body).toMatchObject({ name: 'put.upstream', slots: 10000 });
    const id = '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b';
    expect((await call('PUT', `/consumers/${id}`, { username: 'by-id' })).body).toMatchObject({ id, username: 'by-id' });
  });

  it("PUT /plugins/{instance_name} upserts by the plugin's instance_name", async () => {
    const first = await call('PUT', '/plugins/my-cors', { name: 'cors' });
    expect(first).toMatchObject({ status: 200, body: { instance_name: 'my-cors', name: 'cors' } });
    expect((await call('PUT', '/plugins/my-cors', { name: 'cors', enabled: false })).body).toMatchObject({ id: first.body.id, enabled: false });
  });

  it('PUT on an entity without an endpoint key answers 404 for a non-uuid', async () => {
    expect((await call('PUT', '/ca_certificates/not-a-uuid', { cert: selfSigned(true).cert })).status).toBe(404);
  });
});

describe('nested endpoints (Kong: /services/{s}/routes, /consumers/{c}/key-auth, …)', () => {
  let svc: { id: string };
  beforeAll(async () => {
    svc = await created('/services', { name: 'nest', host: 'nest.test' });
    await created('/consumers', { username: 'nester' });
    await created('/upstreams', { name: 'nest.upstream' });
    await created('/routes', { name: 'nest-route', paths: ['/nest'], service: { id: svc.id } });
  });

  it.each([
    ['/services/nest/routes', { paths: ['/n1'] }, 'service'],
    ['/services/nest/plugins', { name: 'cors' }, 'service'],
    ['/routes/nest-route/plugins', { name: 'key-auth' }, 'route'],
    ['/consumers/nester/plugins', { name: 'rate-limiting', config: { minute: 1 } }, 'consumer'],
    ['/consumers/nester/key-auth', { key: 'nester-key' }, 'consumer'],
    ['/consumers/nester/basic-auth', { username: 'nester', password: 'pw' }, 'consumer'],
    ['/consumers/nester/jwt', { key: 'nester-iss' }, 'consumer'],
    ['/consumers/nester/acls', { group: 'g1' }, 'consumer'],
    ['/upstreams/nest.upstream/targets', { target: '10.0.0.9:80' }, 'upstream'],
  ])('POST, GET, list, PATCH and DELETE under %s, the parent filled in', async (path, body, field) => {
    const child = await created(path, body);
    expect(child[field]).toEqual({ id: expect.stringMatching(UUID) });
    expect((await call('GET', `${path}/${child.id}`)).body.id).toBe(child.id);
    expect((await call('GET', path)).body.data.map((e: { id: string }) => e.id)).toContain(child.id);
    expect((await call('PATCH', `${path}/${child.id}`, { tags: ['nested'] })).body.tags).toEqual(['nested']);
    expect((await call('DELETE', `${path}/${child.id}`)).status).toBe(204);
    expect((await call('GET', `${path}/${child.id}`)).status).toBe(404);
  });

  it('GET /certificates/{c}/snis lists the snis of that certificate only', async () => {
    const cert = await created('/certificates', { ...selfSigned(false, 'nest.test'), snis: ['nest.test'] });
    await created('/certificates', { ...selfSigned(false, 'other.test'), snis: ['other.test'] });
    const res = await call('GET', `/certificates/${cert.id}/snis`);
    expect(res.body.data.map((s: { name: string }) => s.name)).toEqual(['nest.test']);
    expect((await created(`/certificates/${cert.id}/snis`, { name: 'nest2.test' })).certificate).toEqual({ id: cert.id });
  });

  it("a child of another parent is not found under this one", async () => {
    const other = await created('/services', { name: 'nest-other', host: 'o.test' });
    const route = await created('/services/nest-other/routes', { paths: ['/other'] });
    expect((await call('GET', `/services/nest/routes/${route.id}`)).status).toBe(404);
    expect((await call('GET', `/routes/${route.id}/service`)).body.id).toBe(other.id);
  });

  it('a nested list of an unknown parent answers 404', async () => {
    expect((await call('GET', '/services/nobody/routes')).status).toBe(404);
    expect((await call('POST', '/consumers/nobody/key-auth', {})).status).toBe(404);
  });

  it('GET /routes/{r}/service and /key-auths/{k}/consumer follow the foreign key', async () => {
    expect((await call('GET', '/routes/nest-route/service')).body.id).toBe(svc.id);
    const key = await created('/consumers/nester/key-auth', {});
    expect((await call('GET', `/key-auths/${key.id}/consumer`)).body.username).toBe('nester');
  });
});

describe("error shapes (kong/db/errors.lua, Kong's codes and messages)", () => {
  it('code 2 schema violation: one field', async () => {
    const res = await call('POST', '/services', { host: 'e.test', port: 70000 });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: 2, name: 'schema violation',
      message: 'schema violation (port: value should be between 0 and 65535)',
      fields: { port: 'value should be between 0 and 65535' },
    });
  });

  it('code 2 schema violations: several fields, counted', async () => {
    const res = await call('POST', '/services', { host: 'e.test', port: 70000, retries: -1 });
    expect(res.body.code).toBe(2);
    expect(res.body.message).toMatch(/^2 schema violations \(/);
    expect(Object.keys(res.body.fields).sort()).toEqual(['port', 'retries']);
  });

  it('code 2 for an unknown field', async () => {
    const res = await call('POST', '/consumers', { username: 'x', nope: 1 });
    expect(res.body).toMatchObject({ code: 2, fields: { nope: 'unknown field' } });
  });

  it('code 4 foreign key violation: a route naming a service that does not exist', async () => {
    const res = await call('POST', '/routes', { paths: ['/fk'], service: { id: MISSING } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: 4, name: 'foreign key violation',
      message: `the foreign key '{id="${MISSING}"}' does not reference an existing 'services' entity.`,
      fields: { service: { id: MISSING } },
    });
  });

  it('code 5 unique constraint violation: 409 naming the key', async () => {
    await created('/consumers', { username: 'dup' });
    const res = await call('POST', '/consumers', { username: 'dup' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: 5, name: 'unique constraint violation', message: `UNIQUE violation detected on '{username="dup"}'`, fields: { username: 'dup' } });
  });

  it('code 6 not found: 404 {"message":"Not found"} for an entity and for an unknown path', async () => {
    expect(await call('GET', `/services/${MISSING}`)).toMatchObject({ status: 404, body: { message: 'Not found' } });
    expect(await call('PATCH', '/consumers/nobody', { custom_id: 'x' })).toMatchObject({ status: 404, body: { message: 'Not found' } });
    expect(await call('GET', '/no-such-endpoint')).toMatchObject({ status: 404, body: { message: 'Not found' } });
  });

  it('code 7 invalid offset', async () => {
    const res = await call('GET', '/services?offset=garbage');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 7, name: 'invalid offset', message: "'garbage' is not a valid offset: bad base64 encoding" });
  });

  it.each([['0'], ['1001'], ['abc']])('code 9 invalid size for size=%s', async (size) => {
    const res = await call('GET', `/services?size=${size}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 9, name: 'invalid size', message: expect.stringMatching(/^size must be/) });
  });

  it("code 11 invalid options: tags mixing ',' and '/'", async () => {
    const res = await call('GET', '/services?tags=a,b/c');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 11, name: 'invalid options', message: expect.stringMatching(/^invalid option \(tags: /) });
  });

  it('DELETE answers 204 whether or not the entity exists', async () => {
    expect((await call('DELETE', `/services/${MISSING}`)).status).toBe(204);
    expect((await call('DELETE', '/services/not-found')).status).toBe(204);
  });

  it('refuses to delete a service that routes still reference (400, code 4) and deletes nothing', async () => {
    await created('/services', { name: 'referenced', host: 'ref.test' });
    const route = await created('/services/referenced/routes', { paths: ['/ref'] });
    const res = await call('DELETE', '/services/referenced');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 4, name: 'foreign key violation', message: "an existing 'routes' entity references this 'services' entity" });
    expect((await call('GET', '/services/referenced')).status).toBe(200);
    expect((await call('GET', `/routes/${route.id}`)).status).toBe(200);
  });
});
