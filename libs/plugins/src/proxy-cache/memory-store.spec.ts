import { buildCacheKey } from './cache-key';
import { parseDirectives, resourceTtl } from './cache-control';
import { matchesMediaType, parseMediaType, type MediaType } from './media-type';
import { MemoryStore } from './memory-store';

const entry = (body: string) => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from(body), timestamp: 0, ttl: 60 });

describe('proxy-cache memory store', () => {
  it('evicts the least recently used entries to stay within its byte bound', () => {
    const store = new MemoryStore(400);
    store.store('a', entry('x'.repeat(100)), 60, 0);
    store.store('b', entry('y'.repeat(100)), 60, 0);
    expect(store.fetch('a', 1)).not.toBeNull(); // a is now more recent than b
    store.store('c', entry('z'.repeat(100)), 60, 0);
    expect(store.fetch('b', 1)).toBeNull();
    expect(store.fetch('a', 1)).not.toBeNull();
    expect(store.fetch('c', 1)).not.toBeNull();
    expect(store.bytes).toBeLessThanOrEqual(400);
    expect(store.store('huge', entry('h'.repeat(1000)), 60, 0)).toBe(false);
  });

  it('forgets an entry once its storage ttl has passed', () => {
    const store = new MemoryStore();
    store.store('k', entry('v'), 2, 1000);
    expect(store.fetch('k', 2999)).not.toBeNull();
    expect(store.fetch('k', 3000)).toBeNull();
    expect(store.bytes).toBe(0);
  });
});

describe('proxy-cache helpers', () => {
  it('parses Cache-Control directives and the freshness they give', () => {
    const cc = parseDirectives('Public, max-age=60, s-maxage="120", no-transform');
    expect(cc).toEqual({ public: true, 'max-age': 60, 's-maxage': 120, 'no-transform': true });
    expect(resourceTtl(cc, undefined, 0)).toBe(120);
    expect(resourceTtl({}, new Date(100_000).toUTCString(), 40)).toBe(60);
    expect(resourceTtl({}, 'garbage', 0)).toBe(0);
  });

  const mt = (v: string) => parseMediaType(v) as MediaType;

  it('matches Content-Types by type, subtype (wildcards) and the same parameters', () => {
    const json = mt('Application/JSON');
    expect(matchesMediaType(json, mt('application/json'))).toBe(true);
    expect(matchesMediaType(json, mt('application/*'))).toBe(true);
    expect(matchesMediaType(mt('application/json; charset=utf-8'), mt('application/json'))).toBe(false);
    expect(matchesMediaType(mt('text/plain;charset=UTF-8'), mt('text/plain; charset=UTF-8'))).toBe(true);
    expect(parseMediaType('nonsense')).toBeNull();
  });

  it('builds the same key for the same request, and a different one per consumer', () => {
    const parts = { consumerId: null, routeId: 'r', method: 'GET', path: '/a', query: { b: '2', a: '1' }, headers: {} };
    const config = { varyQueryParams: null, varyHeaders: null };
    const k = buildCacheKey(parts, config);
    expect(buildCacheKey({ ...parts, query: { a: '1', b: '2' } }, config)).toBe(k);
    expect(buildCacheKey({ ...parts, consumerId: 'c' }, config)).not.toBe(k);
    expect(buildCacheKey({ ...parts, method: 'HEAD' }, config)).not.toBe(k);
  });
});
