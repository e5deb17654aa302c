import type { PluginHandler } from '@archway/pipeline';
import { chainFor, pluginInstance, runChain, type FakeRequest, type FakeResponse } from '../testing/spec-kit';
import { proxyCacheHandler } from './handler';
import { memoryDictionary } from './memory-store';

let dict = 0;
const JSON_OK: FakeResponse = { status: 200, headers: { 'content-type': 'application/json', 'x-upstream': 'yes', 'x-archway-upstream-latency': '3' }, body: '{"n":1}' };

/** One plugin instance (own dictionary) and a way to send requests through it, as the proxy would. */
function cache(config: Record<string, unknown> = {}) {
  const name = `spec-${++dict}`;
  const chain = chainFor([pluginInstance('proxy-cache', { strategy: 'memory', memory: { dictionary_name: name }, ...config })], new Map([['proxy-cache', proxyCacheHandler as unknown as PluginHandler]]));
  let upstreamCalls = 0;
  const send = async (req: FakeRequest = {}, res: FakeResponse = JSON_OK) => {
    const run = await runChain(chain, req, res);
    if (!run.ctx.exitResponse) upstreamCalls++;
    const exit = run.ctx.exitResponse;
    const stored = proxyCacheHandler.needsResponseBody?.(chain.bodyFilter?.[0]?.state as never, run.ctx);
    return { ...run, headers: run.ctx.responseHeaders, exitBody: exit && Buffer.isBuffer(exit.body) ? exit.body.toString() : null, stored };
  };
  return { send, store: memoryDictionary(name), calls: () => upstreamCalls };
}

describe('proxy-cache', () => {
  it('answers Miss, stores a cacheable response, then answers Hit from the cache without the upstream', async () => {
    const c = cache();
    const miss = await c.send({ path: '/items' });
    expect(miss.headers['x-cache-status']).toBe('Miss');
    expect(miss.headers['x-cache-key']).toMatch(/^[0-9a-f]{64}$/);
    expect(miss.stored).toBe(true);
    const hit = await c.send({ path: '/items' });
    expect(c.calls()).toBe(1);
    expect(hit.ctx.exitResponse?.status).toBe(200);
    expect(hit.exitBody).toBe('{"n":1}');
    expect(hit.headers).toMatchObject({ 'x-cache-status': 'Hit', 'x-cache-key': miss.headers['x-cache-key'], 'content-type': 'application/json', 'x-upstream': 'yes', age: '0' });
    // what described the request that filled the cache is not replayed
    expect(hit.headers['x-archway-upstream-latency']).toBeUndefined();
  });

  it('bypasses methods not in request_method, with no cache key', async () => {
    const c = cache();
    const post = await c.send({ method: 'POST', path: '/items' });
    expect(post.headers['x-cache-status']).toBe('Bypass');
    expect(post.headers['x-cache-key']).toBeUndefined();
    expect(post.stored).toBe(false);
  });

  it('bypasses (and does not buffer) responses whose status or Content-Type is not cacheable', async () => {
    const c = cache();
    const err = await c.send({ path: '/a' }, { ...JSON_OK, status: 500 });
    expect(err.headers['x-cache-status']).toBe('Bypass');
    expect(err.stored).toBe(false);
    const html = await c.send({ path: '/b' }, { ...JSON_OK, headers: { 'content-type': 'text/html' } });
    expect(html.headers['x-cache-status']).toBe('Bypass');
    // Kong compares parameters too: application/json; charset=utf-8 is not application/json
    const charset = await c.send({ path: '/c' }, { ...JSON_OK, headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(charset.headers['x-cache-status']).toBe('Bypass');
    expect(c.store.size).toBe(0);
  });

  it('keys on the query (all arguments, in any order) unless vary_query_params narrows it', async () => {
    const all = cache();
    await all.send({ path: '/q', query: 'a=1&b=2' });
    expect((await all.send({ path: '/q', query: 'b=2&a=1' })).headers['x-cache-status']).toBe('Hit');
    expect((await all.send({ path: '/q', query: 'a=1&b=3' })).headers['x-cache-status']).toBe('Miss');
    const some = cache({ vary_query_params: ['a'] });
    await some.send({ path: '/q', query: 'a=1&b=2' });
    expect((await some.send({ path: '/q', query: 'a=1&b=3' })).headers['x-cache-status']).toBe('Hit');
  });

  it('keys on the vary_headers values', async () => {
    const c = cache({ vary_headers: ['X-Lang'] });
    await c.send({ path: '/h', headers: { 'x-lang': 'en' } });
    expect((await c.send({ path: '/h', headers: { 'x-lang': 'fr' } })).headers['x-cache-status']).toBe('Miss');
    expect((await c.send({ path: '/h', headers: { 'x-lang': 'en' } })).headers['x-cache-status']).toBe('Hit');
  });

  it('answers Refresh once an entry is older than cache_ttl', async () => {
    const c = cache({ cache_ttl: 10, storage_ttl: 100 });
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    try {
      await c.send({ path: '/t' });
      clock.mockReturnValue(now + 11_000);
      expect((await c.send({ path: '/t' })).headers['x-cache-status']).toBe('Refresh');
      expect((await c.send({ path: '/t' })).headers['x-cache-status']).toBe('Hit');
    } finally {
      clock.mockRestore();
    }
  });

  it('honours Cache-Control when cache_control is on', async () => {
    const c = cache({ cache_control: true });
    // a response without max-age (or Expires) is not fresh, so not stored
    expect((await c.send({ path: '/cc' })).headers['x-cache-status']).toBe('Bypass');
    const fresh: FakeResponse = { ...JSON_OK, headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' } };
    expect((await c.send({ path: '/cc2' }, fresh)).headers['x-cache-status']).toBe('Miss');
    expect((await c.send({ path: '/cc2' })).headers['x-cache-status']).toBe('Hit');
    expect((await c.send({ path: '/cc2', headers: { 'cache-control': 'no-cache' } })).headers['x-cache-status']).toBe('Bypass');
    expect((await c.send({ path: '/cc2', headers: { authorization: 'Basic eA==' } })).headers['x-cache-status']).toBe('Bypass');
    const priv: FakeResponse = { ...JSON_OK, headers: { 'content-type': 'application/json', 'cache-control': 'private, max-age=60' } };
    expect((await c.send({ path: '/cc3' }, priv)).headers['x-cache-status']).toBe('Bypass');
    const only = await c.send({ path: '/never-stored', headers: { 'cache-control': 'only-if-cached' } });
    expect(only.ctx.exitResponse?.status).toBe(504);
  });

  it('leaves out the diagnostic headers response_headers turns off', async () => {
    const c = cache({ response_headers: { age: false, 'X-Cache-Status': false, 'X-Cache-Key': false } });
    await c.send({ path: '/quiet' });
    const hit = await c.send({ path: '/quiet' });
    expect(hit.ctx.exitResponse).not.toBeNull();
    expect(hit.headers.age).toBeUndefined();
    expect(hit.headers['x-cache-status']).toBeUndefined();
    expect(hit.headers['x-cache-key']).toBeUndefined();
  });
});
