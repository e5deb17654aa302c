// Kong's /tags and /tags/{tag} over real HTTP against Postgres: one row per (tag, entity), across
// every entity table, paginated like any list.
import { useAdminHarness } from '../testing/admin-harness';

jest.setTimeout(60_000);

const { call } = useAdminHarness();

interface TagRow {
  tag: string;
  entity_name: string;
  entity_id: string;
}

let svc: { id: string };
let route: { id: string };
let consumer: { id: string };

beforeAll(async () => {
  expect((await call('GET', '/tags')).body).toEqual({ data: [], next: null });
  svc = (await call('POST', '/services', { name: 'tagged', host: 't.test', tags: ['team-a', 'prod'] })).body;
  route = (await call('POST', '/services/tagged/routes', { paths: ['/t'], tags: ['team-a'] })).body;
  consumer = (await call('POST', '/consumers', { username: 'bob', tags: ['prod'] })).body;
  await call('POST', '/consumers/bob/key-auth', { key: 'k1', tags: ['team-a'] });
  await call('POST', '/services', { name: 'untagged', host: 'u.test' });
});

/** Follows `next` links from `path` and returns every row, with the number of pages. */
async function walk(path: string): Promise<{ rows: TagRow[]; pages: number }> {
  const rows: TagRow[] = [];
  let next: string | null = path;
  let pages = 0;
  while (next) {
    const res = await call('GET', next);
    expect(res.status).toBe(200);
    rows.push(...res.body.data);
    next = res.body.next;
    pages++;
  }
  return { rows, pages };
}

describe('GET /tags', () => {
  it('lists {tag, entity_name, entity_id} for every tag of every entity, by Kong entity name', async () => {
    const { body } = await call('GET', '/tags');
    expect(body.next).toBeNull();
    expect(body.data).toHaveLength(5);
    expect(body.data).toEqual(
      expect.arrayContaining([
        { tag: 'prod', entity_name: 'services', entity_id: svc.id },
        { tag: 'team-a', entity_name: 'services', entity_id: svc.id },
        { tag: 'team-a', entity_name: 'routes', entity_id: route.id },
        { tag: 'prod', entity_name: 'consumers', entity_id: consumer.id },
        { tag: 'team-a', entity_name: 'keyauth_credentials', entity_id: expect.any(String) },
      ]),
    );
  });

  it('pages with size and an opaque offset, every row exactly once', async () => {
    const first = await call('GET', '/tags?size=2');
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next).toBe(`/tags?offset=${encodeURIComponent(first.body.offset)}&size=2`);
    const { rows, pages } = await walk('/tags?size=2');
    expect(pages).toBe(3);
    expect(rows).toEqual((await call('GET', '/tags')).body.data);
  });

  it("answers Kong's 400 for a bad offset or size", async () => {
    const bad = await call('GET', '/tags?offset=nonsense');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 7, name: 'invalid offset' });
    expect((await call('GET', '/tags?size=0')).status).toBe(400);
  });

  it('drops a tag when its entity goes', async () => {
    const tmp = (await call('POST', '/consumers', { username: 'tmp', tags: ['ephemeral'] })).body;
    expect((await call('GET', '/tags/ephemeral')).body.data).toEqual([{ tag: 'ephemeral', entity_name: 'consumers', entity_id: tmp.id }]);
    await call('DELETE', '/consumers/tmp');
    expect((await call('GET', '/tags/ephemeral')).body).toEqual({ data: [], next: null });
  });
});

describe('GET /tags/{tag}', () => {
  it('lists only the entities carrying that tag', async () => {
    const { status, body } = await call('GET', '/tags/prod');
    expect(status).toBe(200);
    expect(body.data.map((r: TagRow) => r.entity_id).sort()).toEqual([svc.id, consumer.id].sort());
    expect(body.data.every((r: TagRow) => r.tag === 'prod')).toBe(true);
  });

  it('pages within the tag', async () => {
    const { rows, pages } = await walk('/tags/team-a?size=1');
    expect(pages).toBe(3);
    expect(rows.map((r) => r.entity_name).sort()).toEqual(['keyauth_credentials', 'routes', 'services']);
    expect((await call('GET', '/tags/team-a?size=1')).body.next).toMatch(/^\/tags\/team-a\?offset=.+&size=1$/);
  });

  it('answers an empty list for a tag nobody carries', async () => {
    expect((await call('GET', '/tags/nobody')).body).toEqual({ data: [], next: null });
  });
});
