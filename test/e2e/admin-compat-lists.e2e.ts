// Kong Admin API compatibility, black-box against a control plane started from the build: pagination
// over many pages, tag filters and /tags, form, multipart and JSON bodies, and cascading deletes, after
// Kong's spec/02-integration/04-admin_api/{10-services,14-tags,03-consumers}_routes_spec.lua.
import { allPages, selfSigned, useAdminProcess } from '../support/admin-process';

jest.setTimeout(180_000);

const admin = useAdminProcess();
const { call, created } = admin;

describe('pagination (Kong: "paginates a set")', () => {
  const ids = new Set<string>();
  beforeAll(async () => {
    for (let i = 0; i < 250; i += 25) {
      const batch = await Promise.all(Array.from({ length: 25 }, (_, j) => created('/consumers', { username: `page-${i + j}`, tags: ['paged'] })));
      for (const c of batch) ids.add(c.id);
    }
  });

  it('walks 250 consumers at size=7: 36 pages, every id exactly once', async () => {
    const { pages, data } = await allPages(admin, '/consumers', 7);
    expect(pages).toBe(36);
    expect(data).toHaveLength(250);
    expect(new Set(data.map((c) => c.id))).toEqual(ids);
  });

  it('gives every page but the last an offset and a next link that repeats size', async () => {
    const first = await call('GET', '/consumers?size=7');
    expect(first.body.data).toHaveLength(7);
    expect(first.body.next).toBe(`/consumers?offset=${encodeURIComponent(first.body.offset)}&size=7`);
    const second = await call('GET', first.body.next);
    expect(second.body.data[0].id > first.body.data[6].id).toBe(true);
  });

  it('defaults to pages of 100 and allows up to 1000', async () => {
    expect((await call('GET', '/consumers')).body.data).toHaveLength(100);
    const all = await call('GET', '/consumers?size=1000');
    expect(all.body.data).toHaveLength(250);
    expect(all.body.next).toBeNull();
  });

  it('answers {"data":[],"next":null} for an empty list (data is an array, not a hash)', async () => {
    const res = await call('GET', '/upstreams');
    expect(res.text).toContain('"data":[]');
    expect(res.body).toEqual({ data: [], next: null });
  });

  it('ignores unknown query arguments on a list', async () => {
    expect((await call('GET', '/services?foo=bar')).status).toBe(200);
  });

  it('paginates a nested list and a tag-filtered list the same way', async () => {
    await created('/services', { name: 'many-routes', host: 'm.test' });
    for (let i = 0; i < 20; i++) await created('/services/many-routes/routes', { paths: [`/m${i}`] });
    expect((await allPages(admin, '/services/many-routes/routes', 3)).data).toHaveLength(20);
    expect((await allPages(admin, '/consumers?tags=paged', 7)).data).toHaveLength(250);
  });
});

describe('tags (Kong: 14-tags_spec.lua)', () => {
  beforeAll(async () => {
    await created('/services', { name: 'tag-ab', host: 't.test', tags: ['a', 'b'] });
    await created('/services', { name: 'tag-a', host: 't.test', tags: ['a'] });
    await created('/services', { name: 'tag-c', host: 't.test', tags: ['c'] });
    await created('/routes', { name: 'route-a', paths: ['/ta'], tags: ['a'] });
  });
  const names = async (q: string) => (await call('GET', `/services?${q}`)).body.data.map((s: { name: string }) => s.name).sort();

  it("?tags=a,b lists the entities carrying every tag (AND)", async () => {
    expect(await names('tags=a,b')).toEqual(['tag-ab']);
  });

  it('?tags=a/c lists the entities carrying any tag (OR)', async () => {
    expect(await names('tags=a/c')).toEqual(['tag-a', 'tag-ab', 'tag-c']);
  });

  it('?tags=a lists one tag, and a tag nobody carries lists nothing', async () => {
    expect(await names('tags=a')).toEqual(['tag-a', 'tag-ab']);
    expect(await names('tags=zzz')).toEqual([]);
  });

  it('GET /tags/{tag} lists every entity of every kind carrying it', async () => {
    const rows = (await call('GET', '/tags/a')).body.data as { tag: string; entity_name: string }[];
    expect(rows.map((r) => r.entity_name).sort()).toEqual(['routes', 'services', 'services']);
    expect(rows.every((r) => r.tag === 'a')).toBe(true);
  });

  it('GET /tags pages through (tag, entity) pairs', async () => {
    const { data } = await allPages(admin, '/tags', 2);
    const pairs = data as unknown as { tag: string; entity_id: string }[];
    expect(pairs.filter((p) => ['a', 'b', 'c'].includes(p.tag))).toHaveLength(5);
    expect(new Set(pairs.map((p) => `${p.tag}/${p.entity_id}`)).size).toBe(pairs.length);
  });

  it('refuses more than 5 tags with code 11', async () => {
    expect((await call('GET', '/services?tags=1,2,3,4,5,6')).body).toMatchObject({ code: 11, name: 'invalid options' });
  });
});

describe('bodies (kong/api/arguments_decoder.lua)', () => {
  it('decodes dotted keys and coerces values by the plugin schema: config.minute=5', async () => {
    const p = await created('/plugins', 'name=rate-limiting&config.minute=5&config.fault_tolerant=false&instance_name=form-rl');
    expect(p.config).toMatchObject({ minute: 5, fault_tolerant: false });
  });

  it('decodes paths[1]= and paths[2]= as an array, 1-based', async () => {
    expect((await created('/routes', 'paths[1]=/one&paths[2]=/two')).paths).toEqual(['/one', '/two']);
  });

  it('decodes paths[]= and repeated keys as arrays', async () => {
    expect((await created('/routes', 'paths[]=/x1&paths[]=/x2')).paths).toEqual(['/x1', '/x2']);
    expect((await created('/routes', 'methods=GET&methods=POST&paths=/rep')).methods).toEqual(['GET', 'POST']);
  });

  it('makes a single form value of an array field a one-element array', async () => {
    expect((await created('/routes', 'hosts=one.test')).hosts).toEqual(['one.test']);
  });

  it('coerces numbers and booleans from form strings: port=8080, strip_path=false', async () => {
    const svc = await created('/services', 'name=coerced&host=c.test&port=8080&retries=0');
    expect(svc).toMatchObject({ port: 8080, retries: 0 });
    expect((await created('/services/coerced/routes', 'paths[]=/c&strip_path=false')).strip_path).toBe(false);
  });

  it('resolves service.name= and service.id= in a form body', async () => {
    const svc = await created('/services', { name: 'by-form', host: 'f.test' });
    expect((await created('/routes', 'paths[]=/bf1&service.name=by-form')).service).toEqual({ id: svc.id });
    expect((await created('/routes', `paths[]=/bf2&service.id=${svc.id}`)).service).toEqual({ id: svc.id });
  });

  it('decodes nested arrays in form keys: config.key_names[1], config.key_names[2]', async () => {
    const p = await created('/plugins', 'name=key-auth&instance_name=ka-form&config.key_names[1]=apikey&config.key_names[2]=key');
    expect(p.config.key_names).toEqual(['apikey', 'key']);
  });

  it('accepts multipart/form-data with the same keys, files counting as text', async () => {
    const form = new FormData();
    const pair = selfSigned(false, 'multipart.test');
    form.append('cert', new Blob([pair.cert]), 'cert.pem');
    form.append('key', new Blob([pair.key]), 'key.pem');
    form.append('snis[1]', 'multipart.test');
    const res = await admin.call('POST', '/certificates', form);
    expect(res.status).toBe(201);
    expect(res.body.snis).toEqual(['multipart.test']);
    const svc = new FormData();
    svc.append('name', 'multi-svc');
    svc.append('url', 'http://multi.test:81');
    expect((await admin.call('POST', '/services', svc)).body).toMatchObject({ name: 'multi-svc', port: 81 });
  });

  it('answers 415 to any other content type with a body', async () => {
    const res = await admin.call('POST', '/services', Buffer.from('host=x.test'), 'text/plain');
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ message: expect.any(String) });
  });

  it('answers 400 "Cannot parse JSON body" to broken JSON and writes nothing', async () => {
    const res = await admin.call('POST', '/services', Buffer.from('{"host": "x.test",'), 'application/json');
    expect(res).toMatchObject({ status: 400, body: { message: 'Cannot parse JSON body' } });
  });

  it('ignores an invalid body on GET', async () => {
    expect((await admin.call('GET', '/services', undefined, undefined, { 'content-type': 'application/json' })).status).toBe(200);
  });
});

describe('cascading deletes (Kong: ON DELETE CASCADE)', () => {
  it("deleting a consumer deletes its credentials and plugins", async () => {
    const c = await created('/consumers', { username: 'doomed' });
    const children = [
      ['/key-auths', await created('/consumers/doomed/key-auth', {})],
      ['/basic-auths', await created('/consumers/doomed/basic-auth', { username: 'doomed', password: 'pw' })],
      ['/jwts', await created('/consumers/doomed/jwt', {})],
      ['/acls', await created('/consumers/doomed/acls', { group: 'g' })],
      ['/plugins', await created('/consumers/doomed/plugins', { name: 'rate-limiting', config: { minute: 1 } })],
    ] as const;
    expect((await call('DELETE', `/consumers/${c.id}`)).status).toBe(204);
    for (const [path, child] of children) expect((await call('GET', `${path}/${child.id}`)).status).toBe(404);
  });

  it("deleting a route deletes its plugins; deleting a service afterwards deletes the service's plugins", async () => {
    await created('/services', { name: 'cascade-svc', host: 'cs.test' });
    const route = await created('/services/cascade-svc/routes', { paths: ['/cs'] });
    const rp = await created(`/routes/${route.id}/plugins`, { name: 'cors' });
    const sp = await created('/services/cascade-svc/plugins', { name: 'cors' });
    expect((await call('DELETE', `/routes/${route.id}`)).status).toBe(204);
    expect((await call('GET', `/plugins/${rp.id}`)).status).toBe(404);
    expect((await call('DELETE', '/services/cascade-svc')).status).toBe(204);
    expect((await call('GET', `/plugins/${sp.id}`)).status).toBe(404);
  });

  it('deleting an upstream deletes its targets', async () => {
    await created('/upstreams', { name: 'cascade.upstream' });
    const t = await created('/upstreams/cascade.upstream/targets', { target: '10.9.9.9:80' });
    expect((await call('DELETE', '/upstreams/cascade.upstream')).status).toBe(204);
    expect((await call('GET', `/targets/${t.id}`)).status).toBe(404);
  });
});
