import { ArchwayError, ErrorCodes } from '@archway/schema';
import { compileRouter, compileRouterSteps, RouteMatcherCache } from './router';
import { runSteps } from '@archway/schema';
import { makeRoute, makeService, request } from './testing/fixtures';

describe('compileRouter: which routes can match', () => {
  it('returns the route, its resolved service and the upstream path', () => {
    const svc = makeService({ name: 'users', path: '/v1' });
    const route = makeRoute(svc, { name: 'users', paths: ['/users'] });
    const m = compileRouter([route], [svc]).match(request('/users/42'));
    expect(m).toEqual({ route, service: svc, upstreamPath: '/v1/42' });
  });

  it('a route whose service is disabled never matches, and another route takes the request', () => {
    const off = makeService({ enabled: false });
    const on = makeService();
    const routes = [makeRoute(off, { name: 'disabled', paths: ['/api/v2'] }), makeRoute(on, { name: 'fallback', paths: ['/api'] })];
    const router = compileRouter(routes, [off, on]);
    expect(router.match(request('/api/v2/x'))?.route.name).toBe('fallback');
    expect(router.size).toBe(1);
  });

  it('a route without a service never matches', () => {
    const router = compileRouter([makeRoute(null, { paths: ['/'] })], []);
    expect(router.match(request('/'))).toBeNull();
    expect(router.size).toBe(0);
  });

  it('routes for stream protocols or with sources/destinations are left to others', () => {
    const svc = makeService();
    const tcp = makeRoute(svc, { protocols: ['tcp'], destinations: [{ port: 9000 }] });
    const sourced = makeRoute(svc, { paths: ['/'], sources: [{ ip: '10.0.0.0/8' }] });
    const router = compileRouter([tcp, sourced], [svc]);
    expect(router.size).toBe(0);
    expect(router.match(request('/'))).toBeNull();
  });

  it('grpc routes are matched like http ones', () => {
    const svc = makeService({ protocol: 'grpc', path: null });
    const router = compileRouter([makeRoute(svc, { protocols: ['grpc'], paths: ['/pkg.Service/'] })], [svc]);
    expect(router.match(request('/pkg.Service/Call', { method: 'POST' }))?.upstreamPath).toBe('/Call');
  });

  it('no route matched gives null', () => {
    const svc = makeService();
    const router = compileRouter([makeRoute(svc, { paths: ['/only'] })], [svc]);
    expect(router.match(request('/other'))).toBeNull();
    expect(compileRouter([], []).match(request('/'))).toBeNull();
  });

  it('throws a foreign-key ArchwayError naming the service when a route references a missing one', () => {
    const ghost = makeService();
    const route = makeRoute(ghost, { paths: ['/'] });
    expect(() => compileRouter([route], [])).toThrow(ArchwayError);
    try {
      compileRouter([route], []);
    } catch (err) {
      expect((err as ArchwayError).code).toBe(ErrorCodes.FOREIGN_KEY_VIOLATION);
      expect((err as ArchwayError).message).toContain(ghost.id);
    }
  });

  it('throws a schema-violation ArchwayError naming the route for a regex that does not compile', () => {
    const svc = makeService();
    // Valid for the schema of another engine, not for JavaScript's: the router is the judge here.
    const route = { ...makeRoute(svc, { name: 'bad-regex', paths: ['/'] }), paths: ['~/(?<x>a)(?<x>b)'] };
    expect(() => compileRouter([route], [svc])).toThrow(/route 'bad-regex' cannot be compiled: paths: invalid regex/);
    const header = { ...makeRoute(svc, { name: 'bad-header', paths: ['/'] }), headers: { 'x-a': ['~*('] } };
    try {
      compileRouter([header], [svc]);
      throw new Error('expected a throw');
    } catch (err) {
      expect(err).toBeInstanceOf(ArchwayError);
      expect((err as ArchwayError).code).toBe(ErrorCodes.SCHEMA_VIOLATION);
      expect((err as ArchwayError).message).toContain("route 'bad-header' cannot be compiled: headers");
    }
  });

  it('size counts routes, not paths', () => {
    const svc = makeService();
    const router = compileRouter([makeRoute(svc, { paths: ['/a', '/bb', '~/c'] }), makeRoute(svc, { hosts: ['x.test'] })], [svc]);
    expect(router.size).toBe(2);
  });
});

describe('RouteMatcherCache: compiling again after a change', () => {
  it('compiles only the routes that are new objects, and the result matches as a fresh compile does', () => {
    const svc = makeService({ name: 'users' });
    const routes = Array.from({ length: 50 }, (_, i) => makeRoute(svc, { name: `r${i}`, paths: [`/r${i}`] }));
    const cache = new RouteMatcherCache();
    const first = runSteps(compileRouterSteps(routes, [svc], cache));
    expect(cache).toMatchObject({ compiled: 50, reused: 0 });
    const changed = makeRoute(svc, { name: 'r7', paths: ['/seven'] });
    const next = [...routes.slice(0, 7), changed, ...routes.slice(8)];
    const second = runSteps(compileRouterSteps(next, [svc], cache));
    expect(cache).toMatchObject({ compiled: 1, reused: 49 });
    const fresh = compileRouter(next, [svc]);
    for (const path of ['/r3/x', '/seven', '/r7', '/r49'])
      expect(second.match(request(path))?.route.name ?? null).toBe(fresh.match(request(path))?.route.name ?? null);
    // the router serving before still answers as it did (the new one ranks copies of the reused matchers)
    expect(first.match(request('/r7'))?.route.name).toBe('r7');
    expect(first.match(request('/seven'))).toBeNull();
  });

  it('compiles a route again when its service object changed', () => {
    const svc = makeService({ name: 'users', path: '/v1' });
    const route = makeRoute(svc, { paths: ['/users'] });
    const cache = new RouteMatcherCache();
    runSteps(compileRouterSteps([route], [svc], cache));
    const moved = { ...svc, path: '/v2' };
    const router = runSteps(compileRouterSteps([route], [moved], cache));
    expect(cache).toMatchObject({ compiled: 1, reused: 0 });
    expect(router.match(request('/users/1'))?.upstreamPath).toBe('/v2/1');
  });
});
