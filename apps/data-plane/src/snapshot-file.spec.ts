// The disk cache's files: a whole snapshot, then a journal line per small change (a delta's config,
// whose unchanged entities are the same objects), read back as the latest config; torn and stale lines.
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordChanges } from './snapshot-changes';
import { checkSnapshot } from './snapshot-check';
import { journalPath, readSnapshotFile, SnapshotFileWriter } from './snapshot-file';
import { makeRoute, makeService, snapshotOf } from './testing/fixtures';

describe('SnapshotFileWriter and readSnapshotFile', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archway-cache-file-'));
    file = join(dir, 'snapshot.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const svc = makeService({ port: 9100 });
  const routes = Array.from({ length: 20 }, (_, i) => makeRoute(svc, { paths: [`/r${i}`] }));
  const v1 = snapshotOf(1, [svc], routes);
  // what a delta gives: the same objects for what did not change, one route added, one removed
  const added = makeRoute(svc, { paths: ['/added'] });
  const v2 = snapshotOf(2, [svc], [...routes.slice(1), added]);
  const v3 = snapshotOf(3, [svc], [...routes.slice(2), added]);
  const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
  const lines = async () => (await readFile(journalPath(file), 'utf8')).split('\n').filter(Boolean);

  it('appends a small change as one journal line, leaving the whole file as it was, and reads back the latest', async () => {
    const writer = new SnapshotFileWriter(file);
    await writer.write(v1);
    const whole = await readFile(file, 'utf8');
    await writer.write(v2);
    await writer.write(v3);
    expect(await readFile(file, 'utf8')).toBe(whole);
    const journal = await lines();
    expect(journal).toHaveLength(2);
    // a line carries the changed entities only, not the config
    expect(journal[0].length).toBeLessThan(whole.length / 5);
    const read = await readSnapshotFile(file);
    expect(json(read)).toEqual(json(v3));
    expect(checkSnapshot(read as never).hash).toBe(v3.hash);
  });

  it('writes the whole file again, and drops the journal, when the config is new objects throughout', async () => {
    const writer = new SnapshotFileWriter(file);
    await writer.write(v1);
    await writer.write(v2);
    const decoded = JSON.parse(JSON.stringify(v3)) as typeof v3; // a whole snapshot off the wire
    await writer.write(decoded);
    expect(await readdir(dir)).toEqual(['snapshot.json']);
    expect(json(JSON.parse(await readFile(file, 'utf8')))).toEqual(json(v3));
  });

  it('journals what the delta that made a snapshot changed, as recorded, without comparing the configs', async () => {
    const writer = new SnapshotFileWriter(file);
    await writer.write(v1);
    const whole = await readFile(file, 'utf8');
    // new objects throughout (compared, every entity would differ), but the change that made it is known
    const copy = JSON.parse(JSON.stringify(v2)) as typeof v2;
    const put = copy.config.routes[copy.config.routes.length - 1];
    recordChanges(copy, { from: v1, upserted: { routes: [put] }, removed: { routes: [routes[0].id] }, dropped: { routes: [routes[0]] } });
    await writer.write(copy);
    expect(await readFile(file, 'utf8')).toBe(whole);
    expect(await lines()).toHaveLength(1);
    expect(json(await readSnapshotFile(file))).toEqual(json(v2));
  });

  it('ends the journal at a torn last line (a crash while appending): the config before it', async () => {
    const writer = new SnapshotFileWriter(file);
    await writer.write(v1);
    await writer.write(v2);
    await appendFile(journalPath(file), '{"base_version":2,"base_hash":"');
    expect(json(await readSnapshotFile(file))).toEqual(json(v2));
  });

  it('skips a line written against another file (left by a crash between dropping the journal and the new file)', async () => {
    const writer = new SnapshotFileWriter(file);
    await writer.write(v1);
    await writer.write(v2);
    const stale = (await lines())[0];
    const fresh = new SnapshotFileWriter(file); // a restarted process: its first write is a whole file
    await fresh.write(v3);
    await appendFile(journalPath(file), `${stale}\n`);
    expect(json(await readSnapshotFile(file))).toEqual(json(v3));
  });

  it('reads null when nothing was cached', async () => {
    expect(await readSnapshotFile(file)).toBeNull();
  });
});
