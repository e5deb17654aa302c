// Concurrent writers: no update is lost, every write is exactly one config version (no gap, no
// duplicate), and If-Match lets exactly one of two read-modify-write clients win.
import { useAdminHarness } from '../testing/admin-harness';

jest.setTimeout(120_000);

const N = 50;

const { call: adminCall, latestVersion } = useAdminHarness({ ARCHWAY_HISTORY_RETENTION: '1000' });
const call = (method: string, path: string, body?: object, headers: Record<string, string> = {}) =>
  adminCall(method, path, body, undefined, headers);

type Json = Record<string, unknown>;
interface Change {
  entity: string;
  id: string;
  op: string;
  before: Json | null;
  after: Json | null;
}

/** The versions after `from`, oldest first, as GET /config/versions lists them. */
async function versionsAfter(from: number): Promise<number[]> {
  const { body } = await call('GET', `/config/versions?size=${N * 2}`);
  return (body.data as { version: number }[]).map((v) => v.version).filter((v) => v > from).reverse();
}

async function changesOf(version: number): Promise<Change[]> {
  const { status, body } = await call('GET', `/config/versions/${version}/diff`);
  expect(status).toBe(200);
  return body.changes;
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe('concurrent writes', () => {
  // each PATCH sets one field to a value no other PATCH uses
  const FIELDS = ['retries', 'connect_timeout', 'write_timeout', 'read_timeout', 'tags'] as const;
  const patchOf = (i: number): Json => {
    const field = FIELDS[i % FIELDS.length];
    return { [field]: field === 'tags' ? [`t${i}`] : 1000 + i };
  };

  it(`${N} concurrent PATCHes of one service each land on top of the one before: no lost update`, async () => {
    const svc = (await call('POST', '/services', { name: 'contended', host: 'c.test' })).body;
    const from = await latestVersion();

    const results = await Promise.all(range(0, N).map((i) => call('PATCH', '/services/contended', patchOf(i))));
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));

    const versions = await versionsAfter(from);
    expect(versions).toEqual(range(from + 1, N));
    const changes = await Promise.all(versions.map(async (v) => (await changesOf(v))[0]));
    changes.forEach((c, k) => {
      expect(c).toMatchObject({ entity: 'services', id: svc.id, op: 'update' });
      // each version starts from exactly what the one before it left
      if (k > 0) expect(c.before).toEqual(changes[k - 1].after);
      // and changes only its own field (and updated_at)
      const changed = Object.keys(c.after as Json).filter((f) => f !== 'updated_at' && JSON.stringify((c.after as Json)[f]) !== JSON.stringify((c.before as Json)[f]));
      expect(changed.length).toBeLessThanOrEqual(1);
    });
    // every PATCH is one of the versions
    const applied = changes.map((c) => JSON.stringify(FIELDS.map((f) => (c.after as Json)[f])));
    expect(new Set(applied).size).toBe(N);

    // the service ends as the last write to each field left it
    const final = (await call('GET', '/services/contended')).body;
    expect(final).toEqual(changes[N - 1].after);
    for (const field of FIELDS) {
      const last = [...changes].reverse().find((c) => JSON.stringify((c.after as Json)[field]) !== JSON.stringify((c.before as Json)[field]));
      if (last) expect(final[field]).toEqual((last.after as Json)[field]);
    }
  });

  it(`${N} concurrent POSTs of different services all land, one version each`, async () => {
    const from = await latestVersion();
    const results = await Promise.all(range(0, N).map((i) => call('POST', '/services', { name: `par-${i}`, host: `p${i}.test` })));
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(201));

    const versions = await versionsAfter(from);
    expect(versions).toEqual(range(from + 1, N));
    const created = (await Promise.all(versions.map(changesOf))).map((changes) => {
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({ entity: 'services', op: 'create', before: null });
      return changes[0].id;
    });
    expect(new Set(created)).toEqual(new Set(results.map((r) => r.body.id)));

    const listed = (await call('GET', '/services?size=1000')).body.data as { name: string }[];
    for (let i = 0; i < N; i++) expect(listed.some((s) => s.name === `par-${i}`)).toBe(true);
  });

  it('spends no version on writes that fail, even among concurrent successful ones', async () => {
    const from = await latestVersion();
    const results = await Promise.all(
      range(0, 20).map((i) =>
        // every odd one repeats an existing name: 409, nothing written
        call('POST', '/services', { name: i % 2 ? 'contended' : `mixed-${i}`, host: 'm.test' }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(range(0, 20).map((i) => (i % 2 ? 409 : 201)));
    expect(await versionsAfter(from)).toEqual(range(from + 1, 10));
  });
});

describe('optimistic read-modify-write with If-Match', () => {
  it('lets exactly one of two clients holding the same ETag win; the other gets 412', async () => {
    await call('POST', '/services', { name: 'rmw', host: 'rmw.test', tags: [] });
    for (let round = 0; round < 10; round++) {
      const read = await call('GET', '/services/rmw');
      const tag = read.headers.get('etag') as string;
      const from = await latestVersion();
      // both clients add their own tag to the list they read
      const [a, b] = await Promise.all(
        ['a', 'b'].map((who) => call('PATCH', '/services/rmw', { tags: [...read.body.tags, `${who}${round}`] }, { 'if-match': tag })),
      );
      expect([a.status, b.status].sort()).toEqual([200, 412]);
      const winner = a.status === 200 ? a : b;
      expect((await call('GET', '/services/rmw')).body.tags).toEqual(winner.body.tags);
      expect(await latestVersion()).toBe(from + 1);
    }
  });

  it('lets exactly one of many such clients win', async () => {
    const read = await call('GET', '/services/rmw');
    const tag = read.headers.get('etag') as string;
    const results = await Promise.all(range(0, 10).map((i) => call('PATCH', '/services/rmw', { retries: 100 + i }, { 'if-match': tag })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 412)).toHaveLength(9);
  });
});
