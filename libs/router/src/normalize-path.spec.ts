import { normalizePath } from './normalize-path';
import { compileRouter } from './router';
import { makeRoute, makeService, request } from './testing/fixtures';

describe('normalizePath (RFC 3986, as Kong normalises before routing)', () => {
  it.each([
    ['/', '/'],
    ['', ''],
    ['/plain/path/', '/plain/path/'],
    ['/%7euser/%41%62c', '/~user/Abc'], // unreserved characters are decoded
    ['/a%2fb%3fc', '/a%2Fb%3Fc'], // reserved ones stay encoded, upper-cased
    ['/a%20b', '/a b'], // "other" characters are decoded too (re-encoded when sent upstream)
    ['/caf%c3%a9', '/café'], // UTF-8 sequences decode to one character
    ['/a/./b/../c', '/a/c'],
    ['/a/b/..', '/a/'],
    ['/../../x', '/x'],
    ['/%2e%2e/secret', '/secret'], // an encoded dot segment is a dot segment
    ['//a///b//', '/a/b/'],
    ['/a/b/.', '/a/b/'],
    ['/file.tar.gz', '/file.tar.gz'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });

  it.each([
    ['/bad%zz', '/bad%zz'],
    ['/trailing%', '/trailing%'],
    ['/short%4', '/short%4'],
    ['/lone%c3', '/lone%C3'],
    ['/overlong%c0%af', '/overlong%C0%AF'],
    ['/surrogate%ed%a0%80', '/surrogate%ED%A0%80'],
  ])('leaves what cannot be decoded as it is: %s -> %s', (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });

  it('returns the very same string when there is nothing to normalise', () => {
    const path = '/api/v1/users/42';
    expect(normalizePath(path)).toBe(path);
  });
});

describe('matching on the normalised path', () => {
  const svc = makeService();
  const router = compileRouter(
    [makeRoute(svc, { name: 'api', paths: ['/api'] }), makeRoute(svc, { name: 'slash-b', paths: ['/a/b'] })],
    [svc],
  );

  it('encoded unreserved characters and dot segments reach the route they spell', () => {
    expect(router.match(request('/%61pi/users'))?.route.name).toBe('api');
    expect(router.match(request('/x/../api/users'))?.route.name).toBe('api');
    expect(router.match(request('//api//users'))?.upstreamPath).toBe('/users');
  });

  it('an encoded slash is not a path separator', () => {
    expect(router.match(request('/a/b'))?.route.name).toBe('slash-b');
    expect(router.match(request('/a%2fb'))).toBeNull();
  });

  it('a path with bad percent-encoding does not throw and matches as it is', () => {
    const m = router.match(request('/api/%zz%'));
    expect(m?.route.name).toBe('api');
    expect(m?.upstreamPath).toBe('/%zz%');
  });

  it('a route path is normalised the same way as the request path', () => {
    const svc2 = makeService();
    const r = compileRouter([makeRoute(svc2, { name: 'encoded', paths: ['/%7Euser'] })], [svc2]);
    expect(r.match(request('/~user/x'))?.route.name).toBe('encoded');
  });

  it('decoded characters that are unsafe on the wire are re-encoded upstream', () => {
    expect(router.match(request('/api/a%20b/caf%C3%A9'))?.upstreamPath).toBe('/a%20b/caf%C3%A9');
    expect(router.match(request('/api/q%3Fx'))?.upstreamPath).toBe('/q%3Fx');
  });

  it('regex paths see the normalised path', () => {
    const svc3 = makeService();
    const r = compileRouter([makeRoute(svc3, { name: 'users', paths: ['~/users/[a-z]+$'] })], [svc3]);
    expect(r.match(request('/users/%61bc'))?.route.name).toBe('users');
    expect(r.match(request('/x/../users/abc'))?.route.name).toBe('users');
  });
});
