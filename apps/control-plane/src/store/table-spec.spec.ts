// The migrations and the layout the store derives from the schemas must agree, column for column and
// constraint for constraint; otherwise a write fails at run time or an error maps to the wrong field.
import { ENTITY_SCHEMAS } from '@archway/schema';
import { createDataSource, runMigrations } from './data-source';
import { tableSpec } from './table-spec';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import type { DataSource } from 'typeorm';

jest.setTimeout(60_000);

let db: TestDatabase;
let ds: DataSource;

beforeAll(async () => {
  db = await createTestDatabase();
  ds = createDataSource(db.url);
  await ds.initialize();
  await runMigrations(ds);
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

describe.each(ENTITY_SCHEMAS.map((s) => [s.name, s] as const))('table %s', (_name, schema) => {
  const spec = tableSpec(schema);

  it('has exactly the columns the schema derives', async () => {
    const rows: { column_name: string }[] = await ds.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
      [spec.table],
    );
    expect(rows.map((r) => r.column_name).sort()).toEqual(['data', 'id', 'tags', ...spec.columns.map((c) => c.name)].sort());
  });

  it('has the unique constraints the schema derives, by name', async () => {
    const rows: { conname: string }[] = await ds.query(
      `SELECT conname FROM pg_constraint WHERE contype = 'u' AND conrelid = $1::regclass`,
      [spec.table],
    );
    expect(rows.map((r) => r.conname).sort()).toEqual(spec.uniques.map((u) => u.name).sort());
  });

  it('has a foreign key per foreign field, with its ON DELETE rule', async () => {
    const rows: { conname: string; confdeltype: string; parent: string }[] = await ds.query(
      `SELECT conname, confdeltype, confrelid::regclass::text AS parent FROM pg_constraint WHERE contype = 'f' AND conrelid = $1::regclass`,
      [spec.table],
    );
    const actual = rows.map((r) => `${r.conname} -> ${r.parent} ${r.confdeltype === 'c' ? 'cascade' : 'restrict'}`).sort();
    const expected = spec.foreign.map((f) => `${spec.table}_${f.column}_fkey -> ${f.parent} ${f.onDelete}`).sort();
    expect(actual).toEqual(expected);
  });
});
