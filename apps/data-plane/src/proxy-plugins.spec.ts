// Plugins through the real proxy: authentication answers or identifies the consumer before the
// upstream is reached, response plugins change what the client gets, a failing plugin is isolated.
import { pluginSchema } from '@archway/plugins';
import { validatePlugin, type ConfigSet } from '@archway/schema';
import { send } from './testing/fixtures';
import { keyAuth, makeConsumer, startPluginProxy, type PluginProxy } from './testing/plugin-proxy';

const consumer = makeConsumer('alice');
const credential = keyAuth(consumer, 'k-alice');

describe('proxy with plugins', () => {
  let px: PluginProxy;
  beforeEach(async () => {
    px = await startPluginProxy();
  });
  afterEach(async () => {
    await px.close();
  });

  const apply = (plugins: Record<string, unknown>[]) => px.apply(plugins, { consumers: [consumer], keyauth_credentials: [credential] });

  it("answers key-auth's 401 without reaching the upstream when no key is sent", async () => {
    await apply([{ name: 'key-auth' }]);
    const res = await send(px.port, { path: '/p' });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ message: 'No API key found in request', request_id: res.headers['x-archway-request-id'] });
    expect(res.headers['www-authenticate']).toBe('Key realm="kong"');
    expect(px.upstream.seen).toHaveLength(0);
  });

  it('proxies with the consumer headers once key-auth identifies the consumer, hiding the key when asked', async () => {
    await apply([{ name: 'key-auth', config: { hide_credentials: true } }]);
    const res = await send(px.port, { path: '/p?apikey=k-alice&x=1' });
    expect(res.status).toBe(200);
    const seen = px.upstream.seen[0];
    expect(seen.url).toBe('/?x=1');
    expect(seen.headers['x-consumer-username']).toBe('alice');
    expect(seen.headers['x-credential-identifier']).toBe(credential.id);
  });

  it('applies response-side plugins: response-transformer adds a header the client sees', async () => {
    await apply([{ name: 'response-transformer', config: { add: { headers: ['x-added:yes'] } } }]);
    const res = await send(px.port, { path: '/p' });
    expect(res.status).toBe(200);
    expect(res.headers['x-added']).toBe('yes');
  });

  it('rewrites a JSON response body when a body filter asks for it, with a correct Content-Length', async () => {
    await apply([{ name: 'response-transformer', config: { add: { json: ['added:yes'] } } }]);
    const res = await send(px.port, { path: '/p' });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.added).toBe('yes');
    expect(body.url).toBe('/');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
  });

  it('rewrites the request body when a plugin buffers it (request-transformer on a JSON body)', async () => {
    await apply([{ name: 'request-transformer', config: { add: { body: ['added:1'] } } }]);
    const res = await send(px.port, { path: '/p', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":"b"}' });
    expect(res.status).toBe(200);
    expect(JSON.parse(px.upstream.seen[0].body)).toEqual({ a: 'b', added: '1' });
  });

  it('answers request-termination\'s configured response', async () => {
    await apply([{ name: 'request-termination', config: { status_code: 503, message: 'down for maintenance' } }]);
    const res = await send(px.port, { path: '/p' });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ message: 'down for maintenance' });
    expect(px.upstream.seen).toHaveLength(0);
  });

  it('NACKs (rejects) a snapshot whose plugin this data plane cannot run, and keeps serving the old one', async () => {
    await apply([]);
    const bad = validatePlugin({ name: 'key-auth', route: { id: px.route.id } }, 'create', pluginSchema);
    const config = { services: [px.service], routes: [px.route], plugins: [{ ...bad, name: 'no-such-plugin', config: {} }] } as unknown as ConfigSet;
    await expect(px.applyConfig(config)).rejects.toThrow();
    expect((await send(px.port, { path: '/p' })).status).toBe(200);
  });
});
