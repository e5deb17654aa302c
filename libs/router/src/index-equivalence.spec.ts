import type { Route } from '@archway/schema';
import { type Matcher, compareMatchers, compileRoute } from './matcher';
import { escapePath, normalizePath } from './normalize-path';
import { type RouterRequest, RouteMatcherCache, compileRouter, compileRouterSteps } from './router';
import { runSteps, type Service } from '@archway/schema';
import { makeRoute, makeService, request } from './testing/fixtures';
import { upstreamPathV0 } from './upstream-path';

// The router's indexes (exact and wildcard hosts, header values, the path trie with regexes filed under
// their literal start) only decide which routes it looks at. This compares it with the plain definition
// of Kong's choice: every route path in priority order, the first that matches every field wins.
const svc = makeService({ path: '/s' });

/** Deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PATHS = ['/', '/a', '/ab', '/a/b', '/api', '/api/v1', '/b', '/x/y', '/a%2Fb'];
const REGEXES = ['~/a.*', '~/a/\\d+$', '~/ab?', '~.*b$', '~/a|/b', '~/(?:a|x)', '~/api/v\\d+', '~[/]a', '~/[ab]+$', '~\\/x', '~/a/b'];
const HOSTS = ['a.com', 'b.com', '*.a.com', '*.com', 'a.*', 'x.a.*', 'a.com:8000', '*.a.com:8000'];
const HEADERS: Record<string, string[]>[] = [
  { 'x-v': ['1'] },
  { 'x-v': ['1', '2'] },
  { 'x-v': ['~*^1'] },
  { 'x-w': ['A'] },
  { 'x-v': ['2'], 'x-w': ['a'] },
  { x_v: ['2'] },
];
const METHODS = [['GET'], ['POST'], ['GET', 'POST']];

const REQUEST_PATHS = ['/', '/a', '/ab', '/a/b', '/a/1', '/a/12x', '/api/v2/x', '/b', '/xb', '/x/y/z', '/abab', '/a%2fb', '/%61b'];
const REQUEST_HOSTS = ['a.com', 'A.com:8000', 'x.a.com', 'y.x.a.com:8000', 'a.org', 'x.a.org', 'b.com', 'com', undefined];
const REQUEST_HEADERS: RouterRequest['headers'][] = [{}, { 'x-v': '1' }, { 'x-v': '2', 'x-w': 'A' }, { 'x-v': ['3', '1'] }, { 'x-w': 'a', 'x-v': '12' }, { 'x-w': ['B', 'A'], 'x-v': ['2'] }];

function pick<T>(rand: () => number, from: readonly T[]): T {
  return from[Math.floor(rand() * from.length)];
}

function randomRoute(rand: () => number, i: number): Route {
  const fields: Record<string, unknown> = { name: `r${i}`, created_at: 1_700_000_000 + Math.floor(rand() * 5) };
  if (rand() < 0.4) fields.hosts = [pick(rand, HOSTS), ...(rand() < 0.3 ? [pick(rand, HOSTS)] : [])];
  if (rand() < 0.3) fields.headers = pick(rand, HEADERS);
  if (rand() < 0.3) fields.methods = pick(rand, METHODS);
  if (rand() < 0.8 || Object.keys(fields).length === 2) {
    const n = rand() < 0.2 ? 2 : 1;
    fields.paths = Array.from({ length: n }, () => (rand() < 0.5 ? pick(rand, REGEXES) : pick(rand, PATHS)));
  }
  if (rand() < 0.3) fields.regex_priority = pick(rand, [-1, 1, 2]);
  if (rand() < 0.2) fields.strip_path = false;
  return makeRoute(svc, fields);
}

/** Kong's choice by definition: the first matcher in priority order that matches every field. */
function expected(matchers: Matcher[], req: RouterRequest): { name: string; upstreamPath: string } | null {
  const path = normalizePath(req.path);
  const raw = req.host ?? '';
  const colon = raw.indexOf(':');
  const hasPort = colon !== -1 && /^\d+$/.test(raw.slice(colon + 1));
  const host = (hasPort ? raw.slice(0, colon) : raw).toLowerCase();
  const port = hasPort ? Number(raw.slice(colon + 1)) : -1;
  for (const m of matchers) {
    if (!m.matchesMethod(req.method) || !m.matchesHost(host, port) || !m.matchesHeaders(req.headers)) continue;
    let length = 1;
    if (m.regex !== null) {
      const found = m.regex.exec(path);
      if (found === null) continue;
      length = found[0].length;
    } else if (m.prefix !== null) {
      if (!path.startsWith(m.prefix)) continue;
      length = m.prefix.length;
    }
    const upstreamPath = escapePath(upstreamPathV0(m.service.path, m.route.strip_path, length, path));
    return { name: m.route.name as string, upstreamPath };
  }
  return null;
}

describe('the indexed router picks what a scan of every route in priority order picks', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('random route set %i: 40 routes, 300 requests', (seed) => {
    const rand = prng(seed);
    const routes = Array.from({ length: 40 }, (_, i) => randomRoute(rand, i));
    const router = compileRouter(routes, [svc]);
    const matchers = routes.flatMap((r) => compileRoute(r, svc)).sort(compareMatchers);
    for (let i = 0; i < 300; i++) {
      const req: RouterRequest = {
        method: rand() < 0.7 ? 'GET' : 'POST',
        host: pick(rand, REQUEST_HOSTS),
        path: pick(rand, REQUEST_PATHS),
        headers: pick(rand, REQUEST_HEADERS),
      };
      const got = router.match(req);
      const want = expected(matchers, req);
      expect([req, got && { name: got.route.name, upstreamPath: got.upstreamPath }]).toEqual([req, want]);
    }
  });
});

describe('a router updated by deltas picks what a router compiled from scratch picks', () => {
  const other = makeService({ path: '/o' });
  const randomRequest = (rand: () => number): RouterRequest => ({
    method: rand() < 0.7 ? 'GET' : 'POST',
    host: pick(rand, REQUEST_HOSTS),
    path: pick(rand, REQUEST_PATHS),
    headers: pick(rand, REQUEST_HEADERS),
  });
  const named = (m: { route: Route; upstreamPath: string; service: Service } | null) => m && { name: m.route.name, upstreamPath: m.upstreamPath, service: m.service.id };

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('random route set %i: 600 routes, 30 deltas of added, removed and changed routes, 200 requests after each', (seed) => {
    const rand = prng(seed * 7919);
    let next = 0;
    let routes = Array.from({ length: 600 }, () => randomRoute(rand, next++));
    let services: Service[] = [svc, other];
    const cache = new RouteMatcherCache();
    const serving = [runSteps(compileRouterSteps(routes, services, cache))];
    let incremental = 0;
    for (let d = 0; d < 30; d++) {
      const previous = routes;
      routes = routes.slice();
      const changes = 1 + Math.floor(rand() * 6);
      for (let c = 0; c < changes; c++) {
        const what = rand();
        const at = Math.floor(rand() * routes.length);
        if (what < 0.4) routes.splice(at, 0, randomRoute(rand, next++));
        else if (what < 0.7) routes.splice(at, 1);
        // a changed route: a new object with the same id (and name), other fields
        else routes[at] = { ...randomRoute(rand, next++), id: routes[at].id, name: routes[at].name };
      }
      // now and then a route moves to the other service, or the other service is disabled and enabled
      if (rand() < 0.2) {
        const at = Math.floor(rand() * routes.length);
        routes[at] = { ...routes[at], service: { id: routes[at].service?.id === svc.id ? other.id : svc.id } };
      }
      if (rand() < 0.1) services = [svc, { ...services[1], enabled: !services[1].enabled }];
      // the router still serving keeps its own answers while the next one is built
      const before = serving[serving.length - 1];
      const beforeAnswers = Array.from({ length: 20 }, () => randomRequest(rand)).map((req) => [req, named(before.match(req))] as const);
      // every other delta tells the router which route objects were added and removed, as a data plane does
      const now = new Set(routes);
      const then = new Set(previous);
      const delta = { from: previous, added: routes.filter((r) => !then.has(r)), removed: previous.filter((r) => !now.has(r)) };
      const updated = runSteps(compileRouterSteps(routes, services, cache, d % 2 === 0 ? delta : null));
      if (cache.incremental) incremental++;
      const fresh = compileRouter(routes, services);
      expect(updated.size).toBe(fresh.size);
      for (let i = 0; i < 200; i++) {
        const req = randomRequest(rand);
        expect([req, named(updated.match(req))]).toEqual([req, named(fresh.match(req))]);
      }
      for (const [req, answer] of beforeAnswers) expect([req, named(before.match(req))]).toEqual([req, answer]);
      serving.push(updated);
    }
    // most of these deltas are small enough to update the last router rather than build one
    expect(incremental).toBeGreaterThan(15);
  });
});

// Routes added over time with like paths are filed at the same place in the ranking, each taking half of
// the gap its neighbours leave: a double has about 40 halvings. The router then respaces a few matchers
// around the place (copies, as the router serving holds the originals) instead of being built anew.
describe('routes added one by one at the same place in the ranking', () => {
  it('120 deltas each update the last router, pick what a router compiled from scratch picks, and leave the serving router as it was', () => {
    const base = Array.from({ length: 500 }, (_, i) => makeRoute(svc, { name: `p${i}`, paths: [`/p/${i}/`], created_at: 1_000 }));
    let routes = base;
    const cache = new RouteMatcherCache();
    let serving = runSteps(compileRouterSteps(routes, [svc], cache));
    const name = (m: { route: Route } | null) => m?.route.name ?? null;
    const added: Route[] = [];
    for (let k = 1; k <= 120; k++) {
      // odd: younger than every route of the kind (filed after them); even: older (filed before them)
      const route = makeRoute(svc, { name: `n${k}`, paths: ['/same/', `/n/${k}/`], created_at: k % 2 ? 2_000 + k : 500 - k });
      const previous = routes;
      routes = [...routes, route];
      added.push(route);
      const removed: Route[] = [];
      if (k % 7 === 0) {
        removed.push(added.splice(Math.floor(added.length / 2), 1)[0]);
        routes = routes.filter((r) => r !== removed[0]);
      }
      const requests = ['/same/x', '/p/7/', ...added.map((r) => `/n/${r.name?.slice(1)}/`), ...removed.map((r) => `/n/${r.name?.slice(1)}/`)].map((p) => request(p));
      const servingBefore = requests.map((req) => name(serving.match(req)));
      const updated = runSteps(compileRouterSteps(routes, [svc], cache, { from: previous, added: [route], removed }));
      expect([k, cache.incremental]).toEqual([k, true]);
      const fresh = compileRouter(routes, [svc]);
      expect(requests.map((req) => name(updated.match(req)))).toEqual(requests.map((req) => name(fresh.match(req))));
      expect(requests.map((req) => name(serving.match(req)))).toEqual(servingBefore);
      serving = updated;
    }
    // the oldest route with /same/ wins, as Kong picks among equal paths
    expect(name(serving.match(request('/same/x')))).toBe('n120');
  });

  it('in a router of a few routes, respacing reaches the ends of the ranking and still orders every route as a fresh compile does', () => {
    // /a/ ranks before /same/ (longer paths first), /b/ after it (younger): the place is between them
    let routes = [makeRoute(svc, { name: 'a', paths: ['/aaaaaa/'], created_at: 1 }), makeRoute(svc, { name: 'b', paths: ['/same/'], created_at: 9_000 })];
    const cache = new RouteMatcherCache();
    let serving = runSteps(compileRouterSteps(routes, [svc], cache));
    const name = (m: { route: Route } | null) => m?.route.name ?? null;
    for (let k = 1; k <= 100; k++) {
      const route = makeRoute(svc, { name: `n${k}`, paths: ['/same/', `/n/${k}/`], created_at: 100 + k });
      const previous = routes;
      routes = [...routes, route];
      const requests = ['/same/x', '/aaaaaa/x', ...routes.map((r) => `/n/${r.name?.slice(1)}/`)].map((p) => request(p));
      const servingBefore = requests.map((req) => name(serving.match(req)));
      const updated = runSteps(compileRouterSteps(routes, [svc], cache, { from: previous, added: [route], removed: [] }));
      expect([k, cache.incremental]).toEqual([k, true]);
      expect(requests.map((req) => name(updated.match(req)))).toEqual(requests.map((req) => name(compileRouter(routes, [svc]).match(req))));
      expect(requests.map((req) => name(serving.match(req)))).toEqual(servingBefore);
      serving = updated;
    }
    expect(name(serving.match(request('/same/x')))).toBe('n1');
  });
});
