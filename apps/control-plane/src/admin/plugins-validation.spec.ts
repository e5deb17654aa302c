// Every bundled plugin's schema through the Admin API, over real HTTP against a real Postgres: a good
// config is stored with Kong's defaults filled (JSON and form bodies with dotted keys), a bad one is
// a 400 schema violation naming the field, and scoping rules and unknown names answer as Kong does.
import { BUNDLED_PLUGINS } from '@archway/plugins';
import { useAdminHarness } from '../testing/admin-harness';
import { PLUGIN_CASES } from '../testing/plugin-config-cases';

jest.setTimeout(60_000);

const { call } = useAdminHarness();

/** creates the plugin, reads it back by id, then deletes it (one global instance per name may exist) */
async function createReadDelete(body: string | object): Promise<{ status: number; created: Record<string, unknown>; read: Record<string, unknown> }> {
  const res = await call('POST', '/plugins', body);
  if (res.status !== 201) return { status: res.status, created: res.body, read: {} };
  const read = await call('GET', `/plugins/${res.body.id}`);
  expect(read.status).toBe(200);
  expect((await call('DELETE', `/plugins/${res.body.id}`)).status).toBe(204);
  return { status: res.status, created: res.body, read: read.body };
}

it('has a case for every bundled plugin', () => {
  expect(PLUGIN_CASES.map((c) => c.name).sort()).toEqual([...BUNDLED_PLUGINS.keys()].sort());
});

describe.each(PLUGIN_CASES)('$name', (c) => {
  it("answers 201 to a good JSON config, and GET returns the whole config with Kong's defaults", async () => {
    const { status, created, read } = await createReadDelete({ name: c.name, config: c.good });
    expect({ status, created: created.config }).toEqual({ status: 201, created: c.stored });
    expect(read).toMatchObject({ name: c.name, config: c.stored, protocols: c.protocols, enabled: true, route: null, service: null, consumer: null });
  });

  it('accepts a form body with dotted keys, coercing the values by the schema', async () => {
    const { status, created, read } = await createReadDelete(`name=${c.name}&${c.form}`);
    expect({ status, body: created }).toMatchObject({ status: 201 });
    expect(read.config).toMatchObject(c.formStored);
  });

  it.each(c.bad)('answers 400 naming the field for %s', async (_label, config, fields) => {
    const before = (await call('GET', '/plugins')).body.data.length;
    const res = await call('POST', '/plugins', { name: c.name, config });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 2, name: 'schema violation' });
    expect(res.body.fields).toEqual(fields);
    // Kong's message: 'schema violation (…)', or 'N schema violations (…; …)'
    expect(res.body.message).toMatch(/^(schema violation|\d+ schema violations) \(.+\)$/);
    expect((await call('GET', '/plugins')).body.data.length).toBe(before);
  });
});

describe('plugin scoping and names', () => {
  let consumerId: string;
  beforeAll(async () => {
    consumerId = (await call('POST', '/consumers', { username: 'scoped' })).body.id;
  });

  it.each(['key-auth', 'basic-auth', 'jwt', 'acl', 'cors'])("refuses %s on a consumer: 400 'consumer: value must be null'", async (name) => {
    const config = name === 'acl' ? { allow: ['a'] } : {};
    for (const [path, body] of [
      ['/plugins', { name, config, consumer: { id: consumerId } }],
      ['/consumers/scoped/plugins', { name, config }],
    ] as const) {
      const res = await call('POST', path, body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        code: 2,
        name: 'schema violation',
        message: 'schema violation (consumer: value must be null)',
        fields: { consumer: 'value must be null' },
      });
    }
  });

  it('accepts a consumer-scoped rate-limiting instance', async () => {
    const res = await call('POST', '/consumers/scoped/plugins', 'name=rate-limiting&config.minute=5');
    expect(res.status).toBe(201);
    expect(res.body.consumer).toEqual({ id: consumerId });
    await call('DELETE', `/plugins/${res.body.id}`);
  });

  it("answers 400 with Kong's message for an unknown plugin name", async () => {
    const res = await call('POST', '/plugins', { name: 'no-such-plugin' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: 2,
      name: 'schema violation',
      message: "schema violation (name: plugin 'no-such-plugin' not enabled; add it to the 'plugins' configuration property)",
      fields: { name: "plugin 'no-such-plugin' not enabled; add it to the 'plugins' configuration property" },
    });
  });

  it('answers 400 naming a protocol the plugin does not run on', async () => {
    const res = await call('POST', '/plugins', { name: 'key-auth', protocols: ['tcp'] });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({ protocols: ['expected one of: http, https'] });
  });

  it('answers 400 naming an unknown config field', async () => {
    const res = await call('POST', '/plugins', { name: 'cors', config: { colour: 'red' } });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({ config: { colour: 'unknown field' } });
  });

  it('answers 409 for a second instance of a plugin in the same scope', async () => {
    const first = await call('POST', '/plugins', { name: 'cors' });
    expect(first.status).toBe(201);
    const second = await call('POST', '/plugins', { name: 'cors' });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 5, name: 'unique constraint violation' });
    await call('DELETE', `/plugins/${first.body.id}`);
  });
});
