// Paths, query arguments and bodies holding text Postgres cannot store (NUL, lone surrogates), and
// form keys naming Object.prototype, found by test/e2e/admin-fuzz.e2e.ts: Kong-shaped 4xx answers,
// never a 500, nothing written.
import { useAdminHarness } from '../testing/admin-harness';

jest.setTimeout(60_000);

const { call, latestVersion } = useAdminHarness();

beforeAll(async () => {
  await call('POST', '/services', { name: 'keep', host: 'keep.test' });
});

describe('a key with a NUL character in the path', () => {
  it.each([
    ['GET', '/services/%00', 404],
    ['GET', '/services/a%00b/routes', 404],
    ['PATCH', '/services/%00', 404],
    ['PATCH', '/jwts/%00', 404],
    ['POST', '/consumers/%00/jwt', 404],
    ['DELETE', '/services/%00', 204],
  ])('%s %s answers %i as for any key that does not exist', async (method, path, status) => {
    const res = await call(method, path, method === 'GET' || method === 'DELETE' ? undefined : { tags: ['x'] });
    expect(res.status).toBe(status);
    if (status === 404) expect(res.body).toEqual({ message: 'Not found' });
  });

  it('GET /tags/%00 lists nothing, and ?tags=%00 is an invalid option', async () => {
    expect((await call('GET', '/tags/%00')).body).toEqual({ data: [], next: null });
    expect((await call('GET', '/services?tags=%00')).body).toMatchObject({ code: 11, name: 'invalid options' });
  });
});

describe('a body with text Postgres cannot store', () => {
  it.each([
    ['a JSON NUL escape', '{"name":"a\\u0000b","host":"x.test"}', 'application/json', 'name'],
    ['a JSON lone surrogate', '{"name":"x","host":"x.test","tags":["\\ud800"]}', 'application/json', 'tags'],
    ['a form %00', 'name=a%00&host=x.test', 'application/x-www-form-urlencoded', 'name'],
  ])('is a 400 schema violation naming the field, nothing written: %s', async (_, raw, type, field) => {
    const before = await latestVersion();
    const res = await call('POST', '/services', raw, type);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 2, name: 'schema violation', fields: { [field]: expect.stringMatching(/NUL character or an unpaired/) } });
    expect(await latestVersion()).toBe(before);
  });
});

describe('form keys naming Object.prototype', () => {
  it('__proto__.tags= is an unknown field, and later requests see no stray properties', async () => {
    const res = await call('POST', '/services', 'name=proto&host=p.test&__proto__.tags=polluted');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(2);
    expect(res.body.message).toBe('schema violation (__proto__: unknown field)');
    const later = await call('POST', '/consumers', { username: 'after-proto' });
    expect(later.status).toBe(201);
    expect(later.body.tags).toBeNull();
  });
});
