import { compileRouter } from './router';
import { makeRoute, makeService, request } from './testing/fixtures';

const svc = makeService();

/** Compiles `routes` in the given order and returns the name of the route matching `req`. */
function winner(routes: ReturnType<typeof makeRoute>[], req: ReturnType<typeof request>): string | null {
  return compileRouter(routes, [svc]).match(req)?.route.name ?? null;
}

describe('route priority (Kong traditional_compatible)', () => {
  it('a route setting more fields wins over a longer prefix with fewer fields', () => {
    const longPrefix = makeRoute(svc, { name: 'long-prefix', paths: ['/api/v1/users'] });
    const pathAndMethod = makeRoute(svc, { name: 'path-and-method', paths: ['/'], methods: ['GET'] });
    expect(winner([longPrefix, pathAndMethod], request('/api/v1/users/7'))).toBe('path-and-method');
    expect(winner([longPrefix, pathAndMethod], request('/api/v1/users/7', { method: 'POST' }))).toBe('long-prefix');
  });

  it('with as many fields, plain hosts win over a wildcard host even with a longer path', () => {
    const wildcard = makeRoute(svc, { name: 'wildcard', hosts: ['*.example.com'], paths: ['/a/long/path'] });
    const plain = makeRoute(svc, { name: 'plain', hosts: ['api.example.com'], paths: ['/'] });
    expect(winner([wildcard, plain], request('/a/long/path', { host: 'api.example.com' }))).toBe('plain');
    expect(winner([wildcard, plain], request('/a/long/path', { host: 'www.example.com' }))).toBe('wildcard');
  });

  it('a route mixing plain and wildcard hosts ranks as a wildcard route', () => {
    const mixed = makeRoute(svc, { name: 'mixed', hosts: ['api.example.com', '*.example.org'], paths: ['/long/path'] });
    const plain = makeRoute(svc, { name: 'plain', hosts: ['api.example.com'], paths: ['/'] });
    expect(winner([mixed, plain], request('/long/path', { host: 'api.example.com' }))).toBe('plain');
  });

  it('with as many fields, more header keys win', () => {
    const one = makeRoute(svc, { name: 'one-header', headers: { 'x-a': ['1'] }, paths: ['/a/long/path'] });
    const two = makeRoute(svc, { name: 'two-headers', headers: { 'x-a': ['1'], 'x-b': ['2'] }, paths: ['/'] });
    const headers = { 'x-a': '1', 'x-b': '2' };
    expect(winner([one, two], request('/a/long/path', { headers }))).toBe('two-headers');
    expect(winner([one, two], request('/a/long/path', { headers: { 'x-a': '1' } }))).toBe('one-header');
  });

  it('a regex path wins over a prefix path, however long the prefix', () => {
    const prefix = makeRoute(svc, { name: 'prefix', paths: ['/api/users/profile'] });
    const regex = makeRoute(svc, { name: 'regex', paths: ['~/api/.*'] });
    expect(winner([prefix, regex], request('/api/users/profile'))).toBe('regex');
  });

  it('between regex paths, the higher regex_priority wins', () => {
    const low = makeRoute(svc, { name: 'low', paths: ['~/api/.*'], regex_priority: 0 });
    const high = makeRoute(svc, { name: 'high', paths: ['~/api/users'], regex_priority: 10 });
    expect(winner([low, high], request('/api/users'))).toBe('high');
    const negative = makeRoute(svc, { name: 'negative', paths: ['~/api/users'], regex_priority: -5 });
    expect(winner([negative, low], request('/api/users'))).toBe('low');
  });

  it('regex_priority is ignored on prefix paths', () => {
    const short = makeRoute(svc, { name: 'short', paths: ['/api'], regex_priority: 100 });
    const long = makeRoute(svc, { name: 'long', paths: ['/api/users'] });
    expect(winner([short, long], request('/api/users/1'))).toBe('long');
  });

  it('between prefix paths, the longest wins whatever the order of the routes', () => {
    const short = makeRoute(svc, { name: 'short', paths: ['/api'] });
    const long = makeRoute(svc, { name: 'long', paths: ['/api/users'] });
    expect(winner([short, long], request('/api/users/1'))).toBe('long');
    expect(winner([long, short], request('/api/users/1'))).toBe('long');
    expect(winner([long, short], request('/api/orders'))).toBe('short');
  });

  it('a prefix matches characters, not segments: /api matches /apis', () => {
    const api = makeRoute(svc, { name: 'api', paths: ['/api'] });
    expect(winner([api], request('/apis'))).toBe('api');
  });

  it('on a tie, the older route (created_at) wins whatever the order of the routes', () => {
    const older = makeRoute(svc, { name: 'older', paths: ['/same'], created_at: 100 });
    const newer = makeRoute(svc, { name: 'newer', paths: ['/same'], created_at: 200 });
    expect(winner([newer, older], request('/same'))).toBe('older');
    expect(winner([older, newer], request('/same'))).toBe('older');
  });

  it('a route with several paths competes with each path at its own priority', () => {
    // Kong splits the route per path length: `/a` competes with length 2, `/a/very/long` with 11.
    const split = makeRoute(svc, { name: 'split', paths: ['/a', '/a/very/long'] });
    const middle = makeRoute(svc, { name: 'middle', paths: ['/a/very'] });
    expect(winner([split, middle], request('/a/very/long/x'))).toBe('split');
    expect(winner([split, middle], request('/a/very/x'))).toBe('middle');
    expect(winner([split, middle], request('/a/b'))).toBe('split');
  });

  it('a route mixing regex and prefix paths is split too', () => {
    const mixed = makeRoute(svc, { name: 'mixed', paths: ['~/items/\\d+$', '/i'] });
    const prefix = makeRoute(svc, { name: 'prefix', paths: ['/items'] });
    expect(winner([mixed, prefix], request('/items/42'))).toBe('mixed');
    expect(winner([mixed, prefix], request('/items/new'))).toBe('prefix');
    expect(winner([mixed, prefix], request('/ix'))).toBe('mixed');
  });
});
