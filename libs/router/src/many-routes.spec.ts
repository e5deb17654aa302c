import type { Route } from '@archway/schema';
import { runSteps } from '@archway/schema';
import { compileRouter, compileRouterSteps, RouteMatcherCache } from './router';
import { makeRoute, makeService, request } from './testing/fixtures';

// 10,000 routes of the shapes a large install has: per-tenant hosts, many prefixes on a shared host, a
// few wildcard and regex routes. Each request must still find the one route Kong would pick.
describe('a router with 10,000 routes', () => {
  const svc = makeService();
  const routes: Route[] = [];
  for (let i = 0; i < 4000; i++) routes.push(makeRoute(svc, { name: `prefix-${i}`, paths: [`/svc/${i}`] }));
  for (let i = 0; i < 4000; i++)
    routes.push(makeRoute(svc, { name: `tenant-${i}`, hosts: [`t${i}.example.com`], paths: ['/'] }));
  for (let i = 0; i < 1990; i++)
    routes.push(makeRoute(svc, { name: `method-${i}`, methods: ['POST'], paths: [`/m/${i}/`] }));
  for (let i = 0; i < 5; i++) routes.push(makeRoute(svc, { name: `wild-${i}`, hosts: [`*.w${i}.example.org`], paths: ['/'] }));
  for (let i = 0; i < 5; i++) routes.push(makeRoute(svc, { name: `regex-${i}`, paths: [`~/r${i}/\\d+$`] }));
  const router = compileRouter(routes.reverse(), [svc]);

  it('counts every route', () => {
    expect(router.size).toBe(10_000);
  });

  it('picks the longest of thousands of overlapping prefixes', () => {
    // /svc/1, /svc/12, /svc/123 and /svc/1234 are all prefixes of this path
    expect(router.match(request('/svc/1234/orders'))?.route.name).toBe('prefix-1234');
    expect(router.match(request('/svc/3999'))?.route.name).toBe('prefix-3999');
    expect(router.match(request('/svc/40000'))?.route.name).toBe('prefix-400');
  });

  it('picks the tenant by exact host, over a host-less prefix route', () => {
    expect(router.match(request('/svc/12', { host: 'T2500.example.com' }))?.route.name).toBe('tenant-2500');
    expect(router.match(request('/svc/12', { host: 'unknown.example.com' }))?.route.name).toBe('prefix-12');
  });

  it('picks a method route over a host-less prefix route with fewer fields', () => {
    expect(router.match(request('/m/1989/x', { method: 'POST' }))?.route.name).toBe('method-1989');
    expect(router.match(request('/m/1989/x', { method: 'GET' }))).toBeNull();
  });

  it('finds wildcard and regex routes among them', () => {
    expect(router.match(request('/anything', { host: 'a.w3.example.org' }))?.route.name).toBe('wild-3');
    expect(router.match(request('/r4/77'))?.route.name).toBe('regex-4');
    expect(router.match(request('/r4/77x'))).toBeNull();
  });

  it('gives the same answer on every call (no state leaks between matches)', () => {
    const req = request('/svc/77/x', { host: 't77.example.com' });
    const first = router.match(req);
    router.match(request('/r1/5'));
    router.match(request('/nothing'));
    expect(router.match(req)).toEqual(first);
    expect(first?.route.name).toBe('tenant-77');
  });
});

// A data plane applies a one-route change to a large config in steps between requests: updating the
// router packs again the index section the new route is filed under, which for a host-less route holds
// thousands of paths; that section is copied and packed a few hundred keys per step, not in one.
describe('a one-route change to 10,000 host-less routes', () => {
  const svc = makeService();
  const routes: Route[] = [];
  for (let i = 0; i < 10_000; i++) routes.push(makeRoute(svc, { name: `p-${i}`, paths: [`/p/${i}/`] }));

  it('updates the router in a step per few hundred paths of the section, and the new router matches the new route', () => {
    const cache = new RouteMatcherCache();
    runSteps(compileRouterSteps(routes, [svc], cache));
    const added = makeRoute(svc, { name: 'added', paths: ['/added/'] });
    const next = [...routes, added];
    let steps = 0;
    const run = compileRouterSteps(next, [svc], cache, { from: routes, added: [added], removed: [] });
    let r = run.next();
    for (; !r.done; r = run.next()) steps++;
    expect(cache.incremental).toBe(true);
    expect(r.value.match(request('/added/x'))?.route.name).toBe('added');
    expect(r.value.match(request('/p/9999/x'))?.route.name).toBe('p-9999');
    // the section holds 10,001 path keys: sorting and packing them is many steps of at most 512
    expect(steps).toBeGreaterThanOrEqual(10_000 / 512);
  });
});
