import { compileRouter } from './router';
import { makeRoute, makeService, request } from './testing/fixtures';

// Kong's v0 table (spec/fixtures/router_path_handling_tests.lua):
// service path, route path (null: the route matches on host), strip_path (both when null), request, expected.
const TABLE: [string, string | null, boolean | null, string, string][] = [
  ['/', '/', null, '/', '/'],
  ['/', '/', null, '/route', '/route'],
  ['/', '/', null, '/route/', '/route/'],
  ['/', '/', null, '/routereq', '/routereq'],
  ['/', '/', null, '/route/req', '/route/req'],
  ['/', '/route', false, '/route', '/route'],
  ['/', '/route', false, '/route/', '/route/'],
  ['/', '/route', false, '/routereq', '/routereq'],
  ['/', '/route', true, '/route', '/'],
  ['/', '/route', true, '/route/', '/'],
  ['/', '/route', true, '/routereq', '/req'],
  ['/', '/route/', false, '/route/', '/route/'],
  ['/', '/route/', false, '/route/req', '/route/req'],
  ['/', '/route/', true, '/route/', '/'],
  ['/', '/route/', true, '/route/req', '/req'],
  ['/srv', '/rou', false, '/roureq', '/srv/roureq'],
  ['/srv', '/rou', true, '/roureq', '/srv/req'],
  ['/srv/', '/rou', false, '/rou', '/srv/rou'],
  ['/srv/', '/rou', true, '/rou', '/srv'],
  ['/service', '/', null, '/', '/service'],
  ['/service', '/', null, '/route', '/service/route'],
  ['/service', '/', null, '/route/', '/service/route/'],
  ['/service', '/', null, '/routereq', '/service/routereq'],
  ['/service', '/', null, '/route/req', '/service/route/req'],
  ['/service', '/route', false, '/route', '/service/route'],
  ['/service', '/route', false, '/route/', '/service/route/'],
  ['/service', '/route', false, '/routereq', '/service/routereq'],
  ['/service', '/route', true, '/route', '/service'],
  ['/service', '/route', true, '/route/', '/service/'],
  ['/service', '/route', true, '/routereq', '/service/req'],
  ['/service', '/route/', false, '/route/', '/service/route/'],
  ['/service', '/route/', false, '/route/req', '/service/route/req'],
  ['/service', '/route/', true, '/route/', '/service/'],
  ['/service', '/route/', true, '/route/req', '/service/req'],
  ['/service/', '/', null, '/route/', '/service/route/'],
  ['/service/', '/', null, '/', '/service/'],
  ['/service/', '/', null, '/route', '/service/route'],
  ['/service/', '/', null, '/routereq', '/service/routereq'],
  ['/service/', '/', null, '/route/req', '/service/route/req'],
  ['/service/', '/route', false, '/route', '/service/route'],
  ['/service/', '/route', false, '/route/', '/service/route/'],
  ['/service/', '/route', false, '/routereq', '/service/routereq'],
  ['/service/', '/route', true, '/route', '/service'],
  ['/service/', '/route', true, '/route/', '/service/'],
  ['/service/', '/route', true, '/routereq', '/service/req'],
  ['/service/', '/route/', false, '/route/', '/service/route/'],
  ['/service/', '/route/', false, '/route/req', '/service/route/req'],
  ['/service/', '/route/', true, '/route/', '/service/'],
  ['/service/', '/route/', true, '/route/req', '/service/req'],
  ['/', null, null, '/', '/'],
  ['/', null, null, '/route', '/route'],
  ['/', null, null, '/route/', '/route/'],
  ['/service', null, null, '/', '/service'],
  ['/service', null, null, '/route', '/service/route'],
  ['/service', null, null, '/route/', '/service/route/'],
  ['/service/', null, null, '/', '/service/'],
  ['/service/', null, null, '/route', '/service/route'],
  ['/service/', null, null, '/route/', '/service/route/'],
];

const CASES = TABLE.flatMap(([servicePath, routePath, strip, req, expected]) =>
  (strip === null ? [false, true] : [strip]).map((s) => [servicePath, routePath, s, req, expected] as const),
);

function upstreamPath(servicePath: string | null, route: Record<string, unknown>, path: string): string | undefined {
  const svc = makeService({ path: servicePath });
  const router = compileRouter([makeRoute(svc, { hosts: ['example.com'], ...route })], [svc]);
  return router.match(request(path))?.upstreamPath;
}

describe('upstream path: strip_path and v0 joining with the service path', () => {
  it.each(CASES)('service %s, route path %s, strip_path %s: %s -> %s', (servicePath, routePath, strip, req, expected) => {
    const route = routePath === null ? { strip_path: strip } : { paths: [routePath], strip_path: strip };
    expect(upstreamPath(servicePath, route, req)).toBe(expected);
  });

  it('the examples of the house reference: service /s, route /tv0', () => {
    expect(upstreamPath('/s', { paths: ['/tv0'], strip_path: true }, '/tv0/req')).toBe('/s/req');
    expect(upstreamPath('/s', { paths: ['/tv0'], strip_path: false }, '/tv0/req')).toBe('/s/tv0/req');
    expect(upstreamPath('/s', { paths: ['/tv0'], strip_path: true }, '/tv0')).toBe('/s');
  });

  it('a service without a path sends / when nothing is left', () => {
    expect(upstreamPath(null, { paths: ['/tv0'], strip_path: true }, '/tv0')).toBe('/');
    expect(upstreamPath(null, { paths: ['/tv0'], strip_path: true }, '/tv0/x')).toBe('/x');
    expect(upstreamPath(null, { paths: ['/tv0'], strip_path: false }, '/tv0/x')).toBe('/tv0/x');
  });

  it('strip_path on a regex path removes the whole match', () => {
    const route = { paths: ['~/users/\\d+'], strip_path: true };
    expect(upstreamPath('/s', route, '/users/42/orders')).toBe('/s/orders');
    expect(upstreamPath('/s', route, '/users/42')).toBe('/s');
    expect(upstreamPath('/s', { ...route, strip_path: false }, '/users/42/orders')).toBe('/s/users/42/orders');
  });

  it('path_handling v1 joins the v0 way, as the traditional_compatible router does', () => {
    expect(upstreamPath('/srv', { paths: ['/rou'], strip_path: true, path_handling: 'v1' }, '/roureq')).toBe('/srv/req');
  });

  it('a leftover dot segment after stripping is dropped', () => {
    expect(upstreamPath('/s', { paths: ['/foo'], strip_path: true }, '/foo./x')).toBe('/s/x');
  });
});
