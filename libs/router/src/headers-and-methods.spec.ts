import { compileRouter } from './router';
import { makeRoute, makeService, request } from './testing/fixtures';

const svc = makeService();

function matchesHeaders(routeHeaders: Record<string, string[]>, headers: Record<string, string | string[] | undefined>) {
  const router = compileRouter([makeRoute(svc, { headers: routeHeaders })], [svc]);
  return router.match(request('/', { headers })) !== null;
}

describe('header matching', () => {
  it('every header key must match (AND)', () => {
    const route = { 'x-version': ['v1'], 'x-region': ['eu'] };
    expect(matchesHeaders(route, { 'x-version': 'v1', 'x-region': 'eu' })).toBe(true);
    expect(matchesHeaders(route, { 'x-version': 'v1' })).toBe(false);
    expect(matchesHeaders(route, { 'x-version': 'v1', 'x-region': 'us' })).toBe(false);
  });

  it('any of the values of a key matches (OR)', () => {
    const route = { 'x-version': ['v1', 'v2'] };
    expect(matchesHeaders(route, { 'x-version': 'v2' })).toBe(true);
    expect(matchesHeaders(route, { 'x-version': 'v3' })).toBe(false);
  });

  it('values compare case-insensitively, header names are case-insensitive', () => {
    expect(matchesHeaders({ 'X-Version': ['V1'] }, { 'x-version': 'v1' })).toBe(true);
    expect(matchesHeaders({ 'x-version': ['v1'] }, { 'x-version': 'V1' })).toBe(true);
    expect(matchesHeaders({ 'x-name': ['ÉTÉ'] }, { 'x-name': 'Été' })).toBe(true);
    expect(matchesHeaders({ 'x-version': ['v1'] }, { 'x-version': 'v10' })).toBe(false);
  });

  it('a repeated header (headersDistinct) matches when any of its values matches', () => {
    expect(matchesHeaders({ 'x-tenant': ['acme'] }, { 'x-tenant': ['other', 'ACME'] })).toBe(true);
    expect(matchesHeaders({ 'x-tenant': ['acme'] }, { 'x-tenant': ['other', 'none'] })).toBe(false);
  });

  it('a single value starting with ~* is a case-insensitive regex, not anchored', () => {
    const route = { 'x-version': ['~*^v\\d+$'] };
    expect(matchesHeaders(route, { 'x-version': 'V12' })).toBe(true);
    expect(matchesHeaders(route, { 'x-version': 'v1-beta' })).toBe(false);
    expect(matchesHeaders({ 'user-agent': ['~*mobile'] }, { 'user-agent': 'Foo (Mobile) Bar' })).toBe(true);
    expect(matchesHeaders(route, {})).toBe(false);
  });

  it('~* among several values is compared literally, as Kong does', () => {
    expect(matchesHeaders({ 'x-a': ['~*b', 'c'] }, { 'x-a': 'abc' })).toBe(false);
    expect(matchesHeaders({ 'x-a': ['~*b', 'c'] }, { 'x-a': '~*B' })).toBe(true);
  });
});

describe('method matching', () => {
  it('matches when the request method is any of the route methods', () => {
    const router = compileRouter([makeRoute(svc, { methods: ['GET', 'HEAD'], paths: ['/'] })], [svc]);
    expect(router.match(request('/', { method: 'HEAD' }))).not.toBeNull();
    expect(router.match(request('/', { method: 'GET' }))).not.toBeNull();
    expect(router.match(request('/', { method: 'POST' }))).toBeNull();
  });

  it('a route without methods matches every method', () => {
    const router = compileRouter([makeRoute(svc, { paths: ['/'] })], [svc]);
    expect(router.match(request('/', { method: 'DELETE' }))).not.toBeNull();
  });

  it('every field a route sets must match', () => {
    const route = makeRoute(svc, {
      methods: ['POST'],
      hosts: ['api.example.com'],
      paths: ['/orders'],
      headers: { 'x-version': ['2'] },
    });
    const router = compileRouter([route], [svc]);
    const ok = request('/orders', { method: 'POST', host: 'api.example.com', headers: { 'x-version': '2' } });
    expect(router.match(ok)).not.toBeNull();
    expect(router.match({ ...ok, method: 'GET' })).toBeNull();
    expect(router.match({ ...ok, host: 'www.example.com' })).toBeNull();
    expect(router.match({ ...ok, path: '/order' })).toBeNull();
    expect(router.match({ ...ok, headers: { 'x-version': '3' } })).toBeNull();
  });
});
