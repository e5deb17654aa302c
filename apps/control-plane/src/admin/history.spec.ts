// Config history and rollback: every version is kept with who changed what, and a rollback restores
// an earlier version as a new one.
import { useAdminHarness } from '../testing/admin-harness';

jest.setTimeout(60_000);

const { call, latestVersion } = useAdminHarness({ ARCHWAY_HISTORY_RETENTION: '50' });

describe('config history', () => {
  it('lists each version newest first with what it touched', async () => {
    await call('POST', '/services', { name: 'h1', host: 'h1.test' });
    await call('POST', '/services/h1/routes', { name: 'h1-route', paths: ['/h1'] });
    const { body } = await call('GET', '/config/versions');
    expect(body.data[0]).toMatchObject({ changes: 1, entities: ['routes'] });
    expect(body.data[1]).toMatchObject({ changes: 1, entities: ['services'] });
    expect(body.data[0].version).toBe(body.data[1].version + 1);
  });

  it('shows a version\'s diff with before and after', async () => {
    await call('PATCH', '/services/h1', { port: 8080 });
    const v = await latestVersion();
    const { status, body } = await call('GET', `/config/versions/${v}/diff`);
    expect(status).toBe(200);
    expect(body.changes).toHaveLength(1);
    expect(body.changes[0]).toMatchObject({ entity: 'services', op: 'update', before: { port: 80 }, after: { port: 8080 } });
  });

  it('records a cascaded delete entity by entity', async () => {
    await call('POST', '/consumers', { username: 'cascade-me' });
    await call('POST', '/consumers/cascade-me/key-auth', { key: 'k-cascade' });
    await call('DELETE', '/consumers/cascade-me');
    const { body } = await call('GET', `/config/versions/${await latestVersion()}/diff`);
    expect(body.changes.map((c: { entity: string; op: string }) => `${c.op} ${c.entity}`)).toEqual([
      'delete keyauth_credentials',
      'delete consumers',
    ]);
  });

  it('rolls back to an earlier version as a new version, restoring updated, deleted and created entities', async () => {
    await call('POST', '/services', { name: 'keep', host: 'keep.test' });
    const target = await latestVersion();
    await call('PATCH', '/services/keep', { host: 'changed.test' });
    await call('POST', '/services', { name: 'new-after', host: 'n.test' });
    await call('DELETE', '/services/keep');
    expect((await call('GET', '/services/keep')).status).toBe(404);

    const res = await call('POST', `/config/rollback/${target}`);
    expect(res.status).toBe(201);
    expect(res.body.version).toBe(target + 4);
    expect((await call('GET', '/services/keep')).body.host).toBe('keep.test');
    expect((await call('GET', '/services/new-after')).status).toBe(404);
    expect(await latestVersion()).toBe(target + 4);
  });

  it('answers 404 for a version that is not kept', async () => {
    expect((await call('POST', '/config/rollback/999999')).status).toBe(404);
    expect((await call('GET', '/config/versions/999999/diff')).status).toBe(404);
  });
});

describe('config history at scale', () => {
  it('records and rolls back a version that changed thousands of entities at once', async () => {
    const before = await latestVersion();
    const consumers = Array.from({ length: 6000 }, (_, i) => ({ username: `bulk-${i}` }));
    const posted = await call('POST', '/config', { _format_version: '3.0', consumers });
    expect(posted.status).toBe(201);
    const { body } = await call('GET', `/config/versions/${await latestVersion()}/diff`);
    expect(body.changes.length).toBeGreaterThanOrEqual(6000);
    const rolled = await call('POST', `/config/rollback/${before}`);
    expect(rolled.status).toBe(201);
    expect((await call('GET', '/consumers/bulk-1')).status).toBe(404);
  });
});
