import { validateEntity } from './entity';
import { routeSchema } from './entities/route';
import { violationOf } from './testing/violations';
import { MAX_REGEX_LENGTH, regexSafetyProblem } from './regex-safety';

const path = (source: string) => regexSafetyProblem(source, { anchored: true });
const header = (source: string) => regexSafetyProblem(source, { ignoreCase: true });

const violation = (input: Record<string, unknown>) => violationOf(() => validateEntity(routeSchema, input, 'create'));

describe('regex safety', () => {
  it.each([
    '/v\\d+/users/(?<id>[^/]+)$',
    '/api/(users|orders)/\\d+',
    '/api/.*',
    '/users/\\d+$',
    '/(?:a|b)',
    '/files/(?<path>.+)$',
    '/v[0-9]+/(?:users|orders)/[0-9a-f-]{36}$',
    '/api/.*/items/.*',
    '(/[^/]+)+$',
    '(\\d{1,3}\\.){3}\\d{1,3}',
    '((a+b)+c)+',
    '(/users|/orders)+',
    '/[a-z0-9-]+/[a-z0-9-]+/(.*)',
    '/(?=v\\d)v\\d+/x',
    '([^a]*a){20}',
    '/[^/]*/[^/]*/[^/]*x',
    'a{',
  ])('accepts the ordinary path regex %s', (source) => {
    expect(path(source)).toBeNull();
  });

  it.each(['mobile', '(iphone|ipad)', 'chrome/\\d+', 'mobile.*safari', '^a.*b.*c$', '^.*a[^b]*b.*c', '^mozilla/.*safari'])('accepts the header regex %s', (source) => {
    expect(header(source)).toBeNull();
  });

  it.each([
    ['(a+)+', "nested quantifiers can take exponential time ('(a+)+')"],
    ['(a*)*', "nested quantifiers can take exponential time ('(a*)*')"],
    ['/x/(.*a){20}', "nested quantifiers can take exponential time ('(.*a){20}')"],
    ['^(\\d+)+$', "nested quantifiers can take exponential time ('(\\d+)+')"],
    ['(a{1,3})+b', "nested quantifiers can take exponential time ('(a{1,3})+')"],
    ['(a?){25}a{25}', "nested quantifiers can take exponential time ('(a?){25}')"],
    ['(x+x+)+y', "nested quantifiers can take exponential time ('(x+x+)+')"],
    ['/(/.*)+$', "nested quantifiers can take exponential time ('(/.*)+')"],
    ['(a|a)*', "alternatives that can match the same text are repeated, which can take exponential time ('(a|a)*')"],
    ['(a|aa)+$', "alternatives that can match the same text are repeated, which can take exponential time ('(a|aa)+')"],
    ['(\\w|\\d)+$', "alternatives that can match the same text are repeated, which can take exponential time ('(\\w|\\d)+')"],
    ['(a)\\1', "backreferences can take exponential time ('\\1')"],
    ['(?<x>a)\\k<x>', "backreferences can take exponential time ('\\k<x>')"],
    ['/.*/.*/.*x', "3 or more quantifiers in a row can match the same characters, which takes polynomial time ('/.*/.*/.*x')"],
    ['/(.*)/(.*)/(.*)/x', "3 or more quantifiers in a row can match the same characters, which takes polynomial time ('/(.*)/(.*)/(.*)/x')"],
  ])('refuses the path regex %s and says why', (source, why) => {
    const problem = path(source);
    expect(problem).toContain(`regex is not allowed: ${why}`);
  });

  it('refuses an unanchored header regex with two quantifiers that trade characters (tried at every position)', () => {
    expect(header('a.*b.*c')).toMatch(/3 or more quantifiers .*\('a\.\*b\.\*c'; a pattern not starting with \^ is tried at every position/);
  });

  it('refuses patterns longer than the limit', () => {
    expect(path('/a'.repeat(MAX_REGEX_LENGTH / 2))).toBeNull();
    expect(path('/a'.repeat(MAX_REGEX_LENGTH / 2) + 'b')).toBe(
      `regex is not allowed: it is ${MAX_REGEX_LENGTH + 1} characters long, at most ${MAX_REGEX_LENGTH} are allowed; split it over several routes or paths`,
    );
  });

  it('says what to write instead', () => {
    expect(path('(a+)+')).toMatch(/put a character the inner part cannot match in each repetition, as in '\(\/\[\^\/\]\+\)\+'$/);
    expect(path('/.*/.*/.*x')).toMatch(/let each stop at a separator, e.g. '\[\^\/\]\*\/' rather than '\.\*\/'$/);
  });

  it('an accepted pattern stays fast on a long hostile path', () => {
    const re = new RegExp('^(/[^/]+)+$');
    const started = Date.now();
    expect(re.test('/' + 'a/'.repeat(16_000) + '/')).toBe(false);
    // exponential time would not finish at all; linear takes milliseconds
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('routes with unsafe regexes', () => {
  it('refuses a catastrophic path regex with a 400 message naming the path', () => {
    const err = violation({ paths: ['/ok', '~/api/(a+)+$'] });
    expect(err.fields).toEqual({ paths: [null, expect.stringContaining("regex is not allowed: nested quantifiers can take exponential time ('(a+)+')")] });
    expect(err.message).toMatch(/^schema violation \(paths\.2: regex is not allowed: nested quantifiers/);
  });

  it('refuses a catastrophic header regex, and one that does not compile, naming the header', () => {
    const err = violation({ paths: ['/'], headers: { 'X-Version': ['~*(v|v)+$'], 'x-bad': ['~*('] } });
    expect(err.fields).toEqual({
      headers: {
        'x-version': [expect.stringContaining('regex is not allowed: alternatives that can match the same text are repeated')],
        'x-bad': ["invalid regex: '('"],
      },
    });
  });

  it('compares ~* literally among several header values, as the router does', () => {
    expect(() => validateEntity(routeSchema, { paths: ['/'], headers: { 'x-a': ['~*(a+)+', 'b'] } }, 'create')).not.toThrow();
  });

  it('accepts the regexes Kong users write', () => {
    const route = validateEntity<Record<string, unknown>>(
      routeSchema,
      { paths: ['~/v\\d+/users/(?<id>[^/]+)$', '~/api/(users|orders)/\\d+'], headers: { 'user-agent': ['~*mobile'] } },
      'create',
    );
    expect(route.paths).toEqual(['~/v\\d+/users/(?<id>[^/]+)$', '~/api/(users|orders)/\\d+']);
  });
});
