// Several control-plane replicas starting together on an empty database must not trip over each
// other's migrations.
import { createDataSource, runMigrations } from './data-source';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';

jest.setTimeout(60_000);

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

it('applies migrations once when three replicas start at the same time', async () => {
  const sources = [createDataSource(db.url), createDataSource(db.url), createDataSource(db.url)];
  await Promise.all(sources.map((ds) => ds.initialize()));
  try {
    const applied = await Promise.all(sources.map((ds) => runMigrations(ds)));
    const total = applied.reduce((n, a) => n + a.length, 0);
    expect(total).toBe(sources[0].migrations.length);
    const [{ count }] = await sources[0].query('SELECT count(*)::int AS count FROM archway_migrations');
    expect(count).toBe(sources[0].migrations.length);
  } finally {
    await Promise.all(sources.map((ds) => ds.destroy()));
  }
});
