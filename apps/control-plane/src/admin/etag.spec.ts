// ETag and If-Match on the Admin API's entities: optimistic writes that refuse to overwrite a change
// the client has not seen.
import { useAdminHarness } from '../testing/admin-harness';
import { selfSigned } from '../testing/self-signed';
import { parseIfMatch } from './etag';

jest.setTimeout(60_000);

const ETAG = /^"[0-9a-f]{64}"$/;
const PRECONDITION_FAILED = { message: 'Precondition failed: the entity changed since you read it' };

const { call: adminCall, latestVersion } = useAdminHarness();
const call = (method: string, path: string, body?: object, headers: Record<string, string> = {}) =>
  adminCall(method, path, body, undefined, headers);
const etag = async (path: string) => (await call('GET', path)).headers.get('etag') as string;

describe('If-Match parsing', () => {
  it('reads *, a list of strong tags, and keeps weak tags apart', () => {
    expect(parseIfMatch(null)).toBeNull();
    expect(parseIfMatch(' * ')).toEqual({ any: true });
    expect(parseIfMatch('"a", W/"b" ,"c"')).toEqual({ any: false, tags: ['"a"', 'W/"b"', '"c"'] });
    expect(parseIfMatch('garbage')).toEqual({ any: false, tags: [] });
  });
});

describe('ETag', () => {
  it('comes with every single-entity answer and not with lists', async () => {
    const post = await call('POST', '/services', { name: 'e1', host: 'e1.test' });
    expect(post.status).toBe(201);
    expect(post.headers.get('etag')).toMatch(ETAG);
    expect(await etag('/services/e1')).toBe(post.headers.get('etag'));
    expect(await etag(`/services/${post.body.id}`)).toBe(post.headers.get('etag'));
    expect((await call('HEAD', '/services/e1')).headers.get('etag')).toBe(post.headers.get('etag'));
    expect((await call('GET', '/services')).headers.get('etag')).toBeNull();
  });

  it('stays the same while the entity does and changes when it changes', async () => {
    await call('POST', '/services', { name: 'e2', host: 'e2.test' });
    const before = await etag('/services/e2');
    expect(await etag('/services/e2')).toBe(before);
    const patch = await call('PATCH', '/services/e2', { retries: 3 });
    expect(patch.headers.get('etag')).toMatch(ETAG);
    expect(patch.headers.get('etag')).not.toBe(before);
    expect(await etag('/services/e2')).toBe(patch.headers.get('etag'));
    const put = await call('PUT', '/services/e2', { host: 'e2.test' });
    expect(put.status).toBe(200);
    expect(await etag('/services/e2')).toBe(put.headers.get('etag'));
  });

  it('is the same on nested and foreign-key endpoints as on the entity itself', async () => {
    const svc = (await call('POST', '/services', { name: 'e3', host: 'e3.test' })).body;
    const route = await call('POST', '/services/e3/routes', { name: 'e3-r', paths: ['/e3'] });
    expect(route.headers.get('etag')).toMatch(ETAG);
    expect(await etag('/services/e3/routes/e3-r')).toBe(route.headers.get('etag'));
    expect(await etag('/routes/e3-r')).toBe(route.headers.get('etag'));
    expect(await etag('/routes/e3-r/service')).toBe(await etag(`/services/${svc.id}`));
  });
});

describe('If-Match', () => {
  it('lets a PATCH through with the current ETag, or with *', async () => {
    await call('POST', '/services', { name: 'm1', host: 'm1.test' });
    const tag = await etag('/services/m1');
    const res = await call('PATCH', '/services/m1', { retries: 1 }, { 'if-match': tag });
    expect(res.status).toBe(200);
    expect((await call('PATCH', '/services/m1', { retries: 2 }, { 'if-match': `"stale", ${res.headers.get('etag')}` })).status).toBe(200);
    expect((await call('PATCH', '/services/m1', { retries: 3 }, { 'if-match': '*' })).status).toBe(200);
  });

  it('answers a PATCH with a stale ETag 412 and writes nothing', async () => {
    await call('POST', '/services', { name: 'm2', host: 'm2.test' });
    const stale = await etag('/services/m2');
    await call('PATCH', '/services/m2', { retries: 1 });
    const version = await latestVersion();
    const res = await call('PATCH', '/services/m2', { retries: 9 }, { 'if-match': stale });
    expect(res.status).toBe(412);
    expect(res.body).toEqual(PRECONDITION_FAILED);
    expect((await call('GET', '/services/m2')).body.retries).toBe(1);
    expect(await latestVersion()).toBe(version);
  });

  it('compares strongly: a weak tag never matches', async () => {
    await call('POST', '/services', { name: 'm3', host: 'm3.test' });
    const tag = await etag('/services/m3');
    expect((await call('PATCH', '/services/m3', { retries: 1 }, { 'if-match': `W/${tag}` })).status).toBe(412);
  });

  it('answers 412 to a PATCH or DELETE naming an entity that is gone', async () => {
    expect((await call('PATCH', '/services/never-was', { retries: 1 }, { 'if-match': '*' })).status).toBe(412);
    expect((await call('DELETE', '/services/never-was', undefined, { 'if-match': '"x"' })).status).toBe(412);
    expect((await call('DELETE', '/services/never-was')).status).toBe(204);
    expect((await call('PATCH', '/services/never-was', { retries: 1 })).status).toBe(404);
  });

  it('answers a PUT 412 when the entity changed or does not exist, creating nothing', async () => {
    await call('POST', '/services', { name: 'm4', host: 'm4.test' });
    const stale = await etag('/services/m4');
    await call('PATCH', '/services/m4', { retries: 1 });
    expect((await call('PUT', '/services/m4', { host: 'new.test' }, { 'if-match': stale })).status).toBe(412);
    expect((await call('GET', '/services/m4')).body.host).toBe('m4.test');
    expect((await call('PUT', '/services/m4-new', { host: 'n.test' }, { 'if-match': '*' })).status).toBe(412);
    expect((await call('GET', '/services/m4-new')).status).toBe(404);
    const current = await etag('/services/m4');
    expect((await call('PUT', '/services/m4', { host: 'new.test' }, { 'if-match': current })).status).toBe(200);
  });

  it('deletes only the version of the entity the client saw', async () => {
    await call('POST', '/services', { name: 'm5', host: 'm5.test' });
    const stale = await etag('/services/m5');
    await call('PATCH', '/services/m5', { retries: 1 });
    expect((await call('DELETE', '/services/m5', undefined, { 'if-match': stale })).status).toBe(412);
    expect((await call('GET', '/services/m5')).status).toBe(200);
    expect((await call('DELETE', '/services/m5', undefined, { 'if-match': await etag('/services/m5') })).status).toBe(204);
    expect((await call('GET', '/services/m5')).status).toBe(404);
  });

  it('works on nested endpoints, where a missing parent is still 404', async () => {
    await call('POST', '/consumers', { username: 'm6' });
    const cred = await call('POST', '/consumers/m6/key-auth', { key: 'm6-key' });
    const tag = cred.headers.get('etag') as string;
    expect(tag).toMatch(ETAG);
    const path = `/consumers/m6/key-auth/${cred.body.id}`;
    expect((await call('PATCH', path, { tags: ['a'] }, { 'if-match': tag })).status).toBe(200);
    expect((await call('PATCH', path, { tags: ['b'] }, { 'if-match': tag })).status).toBe(412);
    expect((await call('PATCH', `/consumers/nobody/key-auth/${cred.body.id}`, { tags: ['b'] }, { 'if-match': tag })).status).toBe(404);
    expect((await call('DELETE', path, undefined, { 'if-match': tag })).status).toBe(412);
    expect((await call('DELETE', `/consumers/nobody/key-auth/${cred.body.id}`, undefined, { 'if-match': tag })).status).toBe(412);
  });

  it('covers a certificate itself, not its snis (entities of their own), so If-Match works on it', async () => {
    const { cert, key } = selfSigned(false, 'etag.test');

    const created = await call('POST', '/certificates', { cert, key, snis: ['etag.test'] });
    expect(created.status).toBe(201);
    const tag = created.headers.get('etag') as string;
    expect(await etag(`/certificates/${created.body.id}`)).toBe(tag);
    const patched = await call('PATCH', `/certificates/${created.body.id}`, { tags: ['x'] }, { 'if-match': tag });
    expect(patched.status).toBe(200);
    expect((await call('PATCH', `/certificates/${created.body.id}`, { tags: ['y'] }, { 'if-match': tag })).status).toBe(412);
  });

  it('is ignored on a POST, which has no entity yet to compare', async () => {
    expect((await call('POST', '/services', { name: 'm7', host: 'm7.test' }, { 'if-match': '"whatever"' })).status).toBe(201);
  });
});
