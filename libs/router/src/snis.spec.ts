import type { Route } from '@archway/schema';
import { compileSni } from './matcher';
import { compileRouter } from './router';
import { makeRoute, makeService, request } from './testing/fixtures';

const svc = makeService();

function matcher(routes: Route[]) {
  const router = compileRouter(routes, [svc]);
  return (scheme: 'http' | 'https', sni?: string) => router.match(request('/', { scheme, sni }))?.route ?? null;
}

describe('route snis', () => {
  const route = makeRoute(svc, { protocols: ['https'], snis: ['api.example.com'] });
  const match = matcher([route]);

  it('an https request matches only when the TLS server name is one of the route snis, case-insensitively', () => {
    expect(match('https', 'api.example.com')).toBe(route);
    expect(match('https', 'API.Example.COM.')).toBe(route);
    expect(match('https', 'www.example.com')).toBeNull();
  });

  it('an https request without a server name matches no route that sets snis', () => {
    expect(match('https', undefined)).toBeNull();
  });

  it('snis are not considered for plain http requests (Kong #6425), so the https check can answer them', () => {
    const both = makeRoute(svc, { protocols: ['http', 'https'], snis: ['api.example.com'], paths: ['/'] });
    expect(matcher([both])('http', undefined)).toBe(both);
    expect(matcher([route])('http', 'other.test')).toBe(route);
  });

  it('a route with snis outranks an otherwise equal route without them over https, and loses nothing over http', () => {
    const plain = makeRoute(svc, { paths: ['/'], created_at: 1 });
    const withSni = makeRoute(svc, { paths: ['/'], snis: ['api.example.com'] });
    const m = matcher([plain, withSni]);
    expect(m('https', 'api.example.com')).toBe(withSni);
    expect(m('https', 'other.test')).toBe(plain);
  });

  it('wildcard snis match as Kong compiles them: *.x by suffix, x.* by prefix', () => {
    expect(compileSni('*.example.com')).toMatchObject({ value: '.example.com' });
    expect(compileSni('example.*')).toMatchObject({ value: 'example.' });
    const wild = makeRoute(svc, { protocols: ['https'], snis: ['*.example.com'] });
    const m = matcher([wild]);
    expect(m('https', 'a.b.example.com')).toBe(wild);
    expect(m('https', 'example.com')).toBeNull();
  });
});
