import type { Route } from '@archway/schema';
import { regexLiteralPrefix } from './regex-prefix';
import { compileRouter } from './router';
import { makeRoute, makeService, request } from './testing/fixtures';

// The router files a regex path under its literal start (`~/api/v\d+` under `/api/v`) and tries it only
// on paths that start with that text. These check that no regex is ever filed under more text than its
// matches are sure to start with, and that Kong's order holds between regexes found at different places.
const svc = makeService();

function winner(routes: Route[], path: string): string | null {
  return compileRouter(routes, [svc]).match(request(path))?.route.name ?? null;
}

/** Each pattern with paths it matches and paths it does not; one route per pattern, alone. */
const cases: [pattern: string, matches: string[], misses: string[]][] = [
  // top-level alternation: `^/a|/b` anchors only its first branch, the second matches anywhere
  ['~/a|/b', ['/a', '/ax', '/b', '/x/b', '/zz/by'], ['/x/a', '/c']],
  ['~/(?:a|b)/x', ['/a/x', '/b/x'], ['/c/x']],
  ['~/v[|)]x', ['/v|x', '/v)x'], ['/vax', '/w|x']],
  // character classes
  ['~/[Aa]pi/\\d+', ['/api/1', '/Api/22'], ['/bpi/1', '/api/x']],
  ['~[/]x', ['/x'], ['/y']],
  // a character made optional or repeated by a quantifier
  ['~/users?/\\d+$', ['/user/1', '/users/1'], ['/use/1', '/users/x']],
  ['~/ab*c', ['/ac', '/abbbc'], ['/adc']],
  ['~/ab+c', ['/abc', '/abbbc'], ['/ac']],
  ['~/ab{0,2}c', ['/ac', '/abbc'], ['/abbbc']],
  ['~/ab{2}c', ['/abbc'], ['/abc']],
  ['~/ab{', ['/ab{'], ['/ab']],
  // escaped characters: punctuation is literal, `\d`, `\x41`, `\u0042` are not what they spell
  ['~/a\\.b', ['/a.b'], ['/axb']],
  ['~/a.b', ['/axb', '/a.b'], ['/ab']],
  ['~/\\x41/\\u0042', ['/A/B'], ['/x41/u0042', '/a/b']],
  ['~/v\\d+/\\-x', ['/v1/-x', '/v22/-x'], ['/vd/-x', '/v1/x']],
  // groups, lookarounds and anchors
  ['~/(?=ab)abc', ['/abc'], ['/abd']],
  ['~/(api)/x', ['/api/x'], ['/apix']],
  ['~^/api', ['/api', '/api/x'], ['/x/api']],
  ['~/a$', ['/a'], ['/ab']],
  // an empty literal start: tried on every path
  ['~.*foo', ['/foo', '/x/y/foo/z', 'foo'], ['/fo']],
  ['~(?:/a|/b)c', ['/ac', '/bc'], ['/cc']],
  ['~\\/x', ['/x'], ['/y']],
  // non-ASCII text, matched against the decoded path
  ['~/café/\\d+', ['/caf%C3%A9/1', '/café/2'], ['/cafe/1']],
];

describe('regex paths found through their literal start', () => {
  it.each(cases)('%s matches what it should and nothing else', (pattern, matches, misses) => {
    const routes = [makeRoute(svc, { name: 'regex', paths: [pattern] }), makeRoute(svc, { name: 'catch-all', paths: ['/'] })];
    for (const path of matches) expect([path, winner(routes, path)]).toEqual([path, 'regex']);
    for (const path of misses) expect([path, winner(routes, path)]).toEqual([path, path.startsWith('/') ? 'catch-all' : null]);
  });

  it('a path regex is case-sensitive, and an inline (?i) flag is refused when the route is written', () => {
    const routes = [makeRoute(svc, { name: 'upper', paths: ['~/API/\\d+'] }), makeRoute(svc, { name: 'lower', paths: ['~/api/\\d+'] })];
    expect(winner(routes, '/API/1')).toBe('upper');
    expect(winner(routes, '/api/1')).toBe('lower');
    expect(winner(routes, '/Api/1')).toBeNull();
    // JavaScript regexes have no inline flags: Kong's PCRE `(?i)` is not available
    expect(() => makeRoute(svc, { paths: ['~(?i)/api'] })).toThrow(/invalid regex/);
  });

  it('between regexes filed at different depths, regex_priority then age decide, not the depth', () => {
    const shallow = makeRoute(svc, { name: 'shallow', paths: ['~/api/.*'] });
    const deep = makeRoute(svc, { name: 'deep', paths: ['~/api/users/\\d+'] });
    const anywhere = makeRoute(svc, { name: 'anywhere', paths: ['~.*/\\d+$'] });
    const prefix = makeRoute(svc, { name: 'prefix', paths: ['/api/users/1'] });
    // same regex_priority: the oldest matching regex wins, wherever it is filed
    expect(winner([prefix, anywhere, deep, shallow], '/api/users/1')).toBe('shallow');
    expect(winner([prefix, anywhere, deep], '/api/users/1')).toBe('deep');
    expect(winner([prefix, anywhere], '/api/users/1')).toBe('anywhere');
    expect(winner([prefix], '/api/users/1')).toBe('prefix');
    // a higher regex_priority wins over an older regex, filed shallower or deeper
    const urgentDeep = makeRoute(svc, { name: 'urgent-deep', paths: ['~/api/users/\\d+'], regex_priority: 5 });
    const urgentAnywhere = makeRoute(svc, { name: 'urgent-anywhere', paths: ['~.*/\\d+$'], regex_priority: 9 });
    expect(winner([shallow, deep, urgentDeep], '/api/users/1')).toBe('urgent-deep');
    expect(winner([shallow, urgentDeep, urgentAnywhere], '/api/users/1')).toBe('urgent-anywhere');
    expect(winner([shallow, urgentDeep, urgentAnywhere], '/api/users/x')).toBe('shallow');
  });

  it('a regex with an empty literal start still beats a prefix route, and loses to a route setting more fields', () => {
    const prefix = makeRoute(svc, { name: 'prefix', paths: ['/api/v1/users'] });
    const anywhere = makeRoute(svc, { name: 'anywhere', paths: ['~.*users'] });
    const alternation = makeRoute(svc, { name: 'alternation', paths: ['~/none|/users'], regex_priority: -1 });
    const methods = makeRoute(svc, { name: 'methods', paths: ['/'], methods: ['GET'] });
    expect(winner([prefix, anywhere, alternation], '/api/v1/users')).toBe('anywhere');
    expect(winner([prefix, alternation], '/api/v1/users')).toBe('alternation');
    expect(winner([prefix, anywhere, alternation, methods], '/api/v1/users')).toBe('methods');
  });

  it('several regexes on one route are filed separately and compete each at its own priority', () => {
    const split = makeRoute(svc, { name: 'split', paths: ['~/a/\\d+', '~.*/b$'], regex_priority: 1 });
    const other = makeRoute(svc, { name: 'other', paths: ['~/a/.*'], regex_priority: 2 });
    expect(winner([split, other], '/a/1')).toBe('other');
    expect(winner([split, other], '/x/b')).toBe('split');
    expect(compileRouter([split], [svc]).match(request('/a/12/c'))?.upstreamPath).toBe('/c');
  });
});

describe('regexLiteralPrefix', () => {
  it.each([
    ['/api/v\\d+/users', '/api/v'],
    ['/orders/r12/\\d+$', '/orders/r12/'],
    ['/a\\.b\\/c', '/a.b/c'],
    ['/users?/x', '/user'],
    ['/ab+c', '/ab'],
    ['^/x', '/x'],
    ['/a|/b', ''],
    ['.*foo', ''],
    ['(/a)', ''],
    ['/\\x41', '/'],
  ])('%s starts every match with %s', (source, prefix) => {
    expect(regexLiteralPrefix(source)).toBe(prefix);
  });
});
