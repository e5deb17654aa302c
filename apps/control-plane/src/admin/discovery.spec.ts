// Node discovery over real HTTP: GET / plugins info, GET /plugins/enabled, GET /endpoints and
// GET /openapi.json, which lists every path the server serves.
import { BUNDLED_PLUGINS } from '@archway/plugins';
import { useAdminHarness } from '../testing/admin-harness';

jest.setTimeout(60_000);

const { call } = useAdminHarness();

describe('GET / plugins', () => {
  it('lists available_on_server as name -> {version, priority}, as Kong 3.x does', async () => {
    const { body } = await call('GET', '/');
    expect(Object.keys(body.plugins.available_on_server).sort()).toEqual([...BUNDLED_PLUGINS.keys()].sort());
    expect(body.plugins.available_on_server['key-auth']).toEqual({ version: '0.1.0', priority: 1250 });
  });

  it('lists enabled_in_cluster as the distinct names of the plugins configured', async () => {
    expect((await call('GET', '/')).body.plugins.enabled_in_cluster).toEqual([]);
    await call('POST', '/services', { name: 's1', host: 's1.test' });
    for (const scope of ['/plugins', '/services/s1/plugins'])
      expect((await call('POST', scope, { name: 'rate-limiting', config: { minute: 5 } })).status).toBe(201);
    expect((await call('POST', '/plugins', { name: 'cors' })).status).toBe(201);
    expect((await call('GET', '/')).body.plugins.enabled_in_cluster).toEqual(['cors', 'rate-limiting']);
  });
});

describe('GET /plugins/enabled', () => {
  it('lists every plugin this node can run, and is not read as a plugin named "enabled"', async () => {
    const { status, body } = await call('GET', '/plugins/enabled');
    expect(status).toBe(200);
    expect(body).toEqual({ enabled_plugins: [...BUNDLED_PLUGINS.keys()].sort() });
  });
});

describe('GET /endpoints', () => {
  it("lists every path in Kong's notation, sorted segment by segment", async () => {
    const { status, body } = await call('GET', '/endpoints');
    expect(status).toBe(200);
    const paths: string[] = body.data;
    expect(paths).toEqual(
      expect.arrayContaining([
        '/',
        '/services/{services}',
        '/services/{services}/routes/{routes}',
        '/routes/{routes}/service',
        '/consumers/{consumers}/key-auth/{keyauth_credentials}',
        '/key-auths/{keyauth_credentials}',
        '/schemas/{name}',
        '/schemas/plugins/{name}',
        '/plugins/enabled',
        '/tags/{tags}',
        '/config/versions/{v}/diff',
      ]),
    );
    expect(new Set(paths).size).toBe(paths.length);
    // '/' sorts as the lowest character: /services/{services} before /services-x, /snis after /services/…
    const idx = (p: string) => paths.indexOf(p);
    expect(idx('/services')).toBeLessThan(idx('/services/{services}'));
    expect(idx('/services/{services}/routes/{routes}')).toBeLessThan(idx('/snis'));
  });
});

describe('GET /openapi.json', () => {
  it('documents every path GET /endpoints reports the server serving, and only those', async () => {
    const served: string[] = (await call('GET', '/endpoints')).body.data;
    const doc = await call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths).sort()).toEqual([...served].sort());
  });
});
