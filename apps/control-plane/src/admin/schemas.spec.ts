// Kong's schema endpoints over real HTTP: /schemas/{entity}, /schemas/plugins/{name} and the two
// validate endpoints, which answer as a write would but write nothing.
import { useAdminHarness } from '../testing/admin-harness';

jest.setTimeout(60_000);

const { call } = useAdminHarness();

type Fields = Record<string, Record<string, unknown>>[];
/** The definition of one field in Kong's ordered field list. */
const field = (fields: Fields, name: string) => fields.find((f) => name in f)?.[name];

describe('GET /schemas/{entity}', () => {
  it("renders an entity's fields as Kong's ordered list of single-key objects", async () => {
    const { status, body } = await call('GET', '/schemas/services');
    expect(status).toBe(200);
    const names = (body.fields as Fields).map((f) => Object.keys(f));
    expect(names.every((n) => n.length === 1)).toBe(true);
    expect(names.slice(0, 4).flat()).toEqual(['id', 'created_at', 'updated_at', 'name']);
    expect(field(body.fields, 'id')).toEqual({ type: 'string', required: true, uuid: true, auto: true });
    expect(field(body.fields, 'name')).toEqual({ type: 'string', unique: true });
    expect(field(body.fields, 'retries')).toEqual({ type: 'integer', default: 5, between: [0, 32767] });
    expect(field(body.fields, 'protocol')).toMatchObject({ type: 'string', required: true, default: 'http', one_of: expect.arrayContaining(['http', 'https']) });
    expect(field(body.fields, 'client_certificate')).toEqual({ type: 'foreign', reference: 'certificates' });
    expect(field(body.fields, 'tags')).toEqual({ type: 'set', elements: { type: 'string' } });
  });

  it('renders maps with keys and values, sets of records with nested fields', async () => {
    const { body } = await call('GET', '/schemas/routes');
    expect(field(body.fields, 'headers')).toEqual({
      type: 'map',
      keys: { type: 'string' },
      values: { type: 'array', len_min: 1, elements: { type: 'string' } },
    });
    expect(field(body.fields, 'sources')).toEqual({
      type: 'set',
      elements: { type: 'record', fields: [{ ip: { type: 'string' } }, { port: { type: 'integer', between: [0, 65535] } }] },
    });
  });

  it('renders credential DAOs by their Kong names, with on_delete and without generated defaults', async () => {
    const { status, body } = await call('GET', '/schemas/keyauth_credentials');
    expect(status).toBe(200);
    expect(field(body.fields, 'consumer')).toEqual({ type: 'foreign', required: true, reference: 'consumers', on_delete: 'cascade' });
    expect(field(body.fields, 'key')).toEqual({ type: 'string', required: true, unique: true });
    for (const name of ['basicauth_credentials', 'jwt_secrets', 'acls', 'upstreams', 'targets', 'certificates', 'snis', 'ca_certificates', 'consumers'])
      expect((await call('GET', `/schemas/${name}`)).status).toBe(200);
  });

  it("renders the plugins entity with its config as Kong's abstract record", async () => {
    const { body } = await call('GET', '/schemas/plugins');
    expect(field(body.fields, 'config')).toEqual({ type: 'record', abstract: true });
    expect(field(body.fields, 'route')).toEqual({ type: 'foreign', reference: 'routes', on_delete: 'cascade' });
  });

  it("answers 404 \"No entity named 'x'\" for an unknown entity", async () => {
    const res = await call('GET', '/schemas/key-auths');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: "No entity named 'key-auths'" });
  });
});

describe('GET /schemas/plugins/{name}', () => {
  it("wraps the plugin's config in a record among its scope and protocols fields", async () => {
    const { status, body } = await call('GET', '/schemas/plugins/key-auth');
    expect(status).toBe(200);
    expect(field(body.fields, 'consumer')).toEqual({ type: 'foreign', reference: 'consumers', eq: null });
    expect(field(body.fields, 'protocols')).toEqual({
      type: 'set',
      required: true,
      default: ['http', 'https'],
      len_min: 1,
      elements: { type: 'string', one_of: ['http', 'https'] },
    });
    const config = field(body.fields, 'config') as { type: string; fields: Fields };
    expect(config.type).toBe('record');
    expect(field(config.fields, 'key_names')).toMatchObject({ type: 'array', required: true, default: ['apikey'] });
    expect(field(config.fields, 'hide_credentials')).toEqual({ type: 'boolean', required: true, default: false });
  });

  it('renders nested config records (rate-limiting redis) and numbers with gt', async () => {
    const { body } = await call('GET', '/schemas/plugins/rate-limiting');
    const config = field(body.fields, 'config') as { fields: Fields };
    expect(field(config.fields, 'second')).toEqual({ type: 'number', gt: 0 });
    expect(field(config.fields, 'redis')).toMatchObject({ type: 'record', fields: expect.any(Array) });
  });

  it("answers 404 \"No plugin named 'x'\" for a plugin this node does not have", async () => {
    const res = await call('GET', '/schemas/plugins/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: "No plugin named 'nope'" });
  });
});

describe('POST /schemas/{entity}/validate', () => {
  it('answers 200 "schema validation successful" for a valid entity and writes nothing', async () => {
    const res = await call('POST', '/schemas/services/validate', { name: 'only-checked', url: 'http://a.test:8080/x' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'schema validation successful' });
    expect((await call('GET', '/services/only-checked')).status).toBe(404);
  });

  it('decodes form bodies as writes do', async () => {
    const res = await call('POST', '/schemas/routes/validate', 'paths[]=/a&methods=GET&strip_path=false');
    expect(res.status).toBe(200);
  });

  it("answers Kong's 400 schema violation body, the same a write gets", async () => {
    const bad = { host: 'a.test', port: 70000 };
    const res = await call('POST', '/schemas/services/validate', bad);
    expect(res.status).toBe(400);
    expect(res.body).toEqual((await call('POST', '/services', bad)).body);
    expect(res.body).toMatchObject({ code: 2, name: 'schema violation', fields: { port: 'value should be between 0 and 65535' } });
  });

  it('checks cross-field rules (a consumer needs a username or custom_id)', async () => {
    const res = await call('POST', '/schemas/consumers/validate', {});
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({ '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"] });
  });

  it("answers 404 \"No entity named 'x'\" for an unknown entity", async () => {
    const res = await call('POST', '/schemas/widgets/validate', { a: 1 });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: "No entity named 'widgets'" });
  });
});

describe('POST /schemas/plugins/validate', () => {
  it("validates the config by the plugin's own schema, and writes nothing", async () => {
    const ok = await call('POST', '/schemas/plugins/validate', { name: 'rate-limiting', config: { minute: 5 }, protocols: ['http'] });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ message: 'schema validation successful' });
    expect((await call('GET', '/plugins')).body.data).toEqual([]);
  });

  it('reports config errors under config, and config-wide rules at the top level, as Kong does', async () => {
    const res = await call('POST', '/schemas/plugins/validate', 'name=rate-limiting&protocols=http&config.minute=-1');
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({ config: { minute: 'value must be greater than 0' } });
    const none = await call('POST', '/schemas/plugins/validate', { name: 'ip-restriction', protocols: ['http'] });
    expect(none.body.fields['@entity']).toEqual(["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"]);
  });

  it("names an unknown plugin with Kong's message", async () => {
    const res = await call('POST', '/schemas/plugins/validate', { name: 'nope' });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({ name: "plugin 'nope' not enabled; add it to the 'plugins' configuration property" });
  });
});
