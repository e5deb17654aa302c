import { compileRouter } from './router';
import { makeRoute, makeService, request } from './testing/fixtures';

const svc = makeService();

function matches(hosts: string[], host: string | undefined): boolean {
  const router = compileRouter([makeRoute(svc, { hosts })], [svc]);
  return router.match(request('/', { host })) !== null;
}

describe('host matching', () => {
  it('an exact host matches the Host header case-insensitively and whatever its port', () => {
    expect(matches(['api.example.com'], 'api.example.com')).toBe(true);
    expect(matches(['api.example.com'], 'API.Example.COM')).toBe(true);
    expect(matches(['API.example.com'], 'api.example.com')).toBe(true);
    expect(matches(['api.example.com'], 'api.example.com:8000')).toBe(true);
    expect(matches(['api.example.com'], 'www.example.com')).toBe(false);
    expect(matches(['api.example.com'], 'api.example.com.evil.test')).toBe(false);
  });

  it('any of several hosts matches', () => {
    expect(matches(['a.test', 'b.test'], 'b.test')).toBe(true);
    expect(matches(['a.test', 'b.test'], 'c.test')).toBe(false);
  });

  it('a leading wildcard matches any subdomain, at any depth, but not the bare domain', () => {
    expect(matches(['*.example.com'], 'api.example.com')).toBe(true);
    expect(matches(['*.example.com'], 'a.b.example.com')).toBe(true);
    expect(matches(['*.example.com'], 'API.EXAMPLE.COM:8443')).toBe(true);
    expect(matches(['*.example.com'], 'example.com')).toBe(false);
    expect(matches(['*.example.com'], 'api.example.org')).toBe(false);
  });

  it('a trailing wildcard matches any top-level part', () => {
    expect(matches(['example.*'], 'example.org')).toBe(true);
    expect(matches(['example.*'], 'example.co.uk')).toBe(true);
    expect(matches(['example.*'], 'www.example.org')).toBe(false);
    expect(matches(['example.*'], 'example')).toBe(false);
  });

  it('a host with a port matches only a Host header carrying that port', () => {
    expect(matches(['api.example.com:8000'], 'api.example.com:8000')).toBe(true);
    expect(matches(['api.example.com:8000'], 'api.example.com:9000')).toBe(false);
    expect(matches(['api.example.com:8000'], 'api.example.com')).toBe(false);
    expect(matches(['*.example.com:8000'], 'x.example.com:8000')).toBe(true);
    expect(matches(['*.example.com:8000'], 'x.example.com:80')).toBe(false);
  });

  it('a request without a Host header matches only routes without hosts', () => {
    expect(matches(['api.example.com'], undefined)).toBe(false);
    expect(matches(['*.example.com'], '')).toBe(false);
    const router = compileRouter([makeRoute(svc, { paths: ['/'] })], [svc]);
    expect(router.match(request('/', { host: undefined }))).not.toBeNull();
  });

  it('exact-host routes and host-less routes compete on priority, not on index', () => {
    const hostOnly = makeRoute(svc, { name: 'host-only', hosts: ['api.example.com'] });
    const pathAndMethod = makeRoute(svc, { name: 'path-and-method', paths: ['/x'], methods: ['GET'] });
    const router = compileRouter([hostOnly, pathAndMethod], [svc]);
    expect(router.match(request('/x', { host: 'api.example.com' }))?.route.name).toBe('path-and-method');
    expect(router.match(request('/y', { host: 'api.example.com' }))?.route.name).toBe('host-only');
  });
});
