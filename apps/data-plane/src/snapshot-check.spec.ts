// The sync client's checker validates a snapshot once, and across snapshots validates again only what
// changed: an entity changed under the same id is checked again, an unchanged one is taken as validated.
import { configHash, makeSnapshot } from '@archway/schema';
import { checkSnapshot, ConfigRejectedError, isChecked, SnapshotChecker } from './snapshot-check';
import { makeRoute, makeService, snapshotOf } from './testing/fixtures';
import { emptyConfig, emptyRemoved, runSteps, type ConfigDelta } from '@archway/schema';

describe('SnapshotChecker', () => {
  const svc = makeService({ port: 9400 });
  const other = makeService({ port: 9401 });
  const route = makeRoute(svc, { paths: ['/a'] });

  it('returns the validated snapshot, marked checked, and rejects a hash that does not match', () => {
    const checker = new SnapshotChecker();
    const s = snapshotOf(1, [svc], [route]);
    const checked = runSteps(checker.checkSteps(s));
    expect(isChecked(checked)).toBe(true);
    expect(checked.config.routes).toEqual([route]);
    expect(() => runSteps(checker.checkSteps({ ...s, hash: configHash({}) }))).toThrow(/config hash mismatch/);
    expect(() => checkSnapshot({ version: -1, hash: 'x', config: null } as never)).toThrow(ConfigRejectedError);
  });

  it('validates again an entity whose content changed under the same id, naming it when it became invalid', () => {
    const checker = new SnapshotChecker();
    runSteps(checker.checkSteps(snapshotOf(1, [svc, other], [route])));
    const broken = snapshotOf(2, [{ ...svc, port: 70000 }, other], [route]);
    expect(() => runSteps(checker.checkSteps(broken))).toThrow(new RegExp(`services ${svc.id}: .*port`));
    // a dangling reference is caught although every remaining entity is unchanged
    expect(() => runSteps(checker.checkSteps(makeSnapshot(3, { ...snapshotOf(3, [other], [route]).config })))).toThrow(/does not exist/);
  });

  it('takes unchanged entities as validated before (the same objects), and new ones validated now', () => {
    const checker = new SnapshotChecker();
    const first = runSteps(checker.checkSteps(snapshotOf(1, [svc], [route])));
    const added = makeRoute(svc, { paths: ['/b'] });
    const second = runSteps(checker.checkSteps(snapshotOf(2, [svc], [route, added])));
    expect(second.config.services[0]).toBe(first.config.services[0]);
    expect(second.config.routes.find((r) => r.id === route.id)).toBe(first.config.routes[0]);
    expect(second.config.routes.find((r) => r.id === added.id)).toEqual(added);
  });
});

describe('SnapshotChecker.prepareDeltaSteps', () => {
  const svc = makeService({ port: 9500 });
  const routes = Array.from({ length: 2000 }, (_, i) => makeRoute(svc, { paths: [`/p${i}`] }));
  const added = makeRoute(svc, { paths: ['/added'] });
  const delta = (): ConfigDelta => {
    const base = snapshotOf(1, [svc], routes);
    const next = snapshotOf(2, [svc], [...routes, added]);
    return { baseVersion: 1, baseHash: base.hash, version: 2, hash: next.hash, upserted: { ...emptyConfig(), routes: [added] }, removed: emptyRemoved() };
  };
  /** How many steps (units of work between which requests are served) a generator takes. */
  const stepsOf = (gen: Generator<unknown, unknown>) => {
    let n = 0;
    while (!gen.next().done) n++;
    return n;
  };

  it('builds the lookups a delta needs ahead of it, so the first delta after a whole snapshot checks only what changed', () => {
    const cold = new SnapshotChecker();
    runSteps(cold.checkSteps(snapshotOf(1, [svc], routes)));
    const warm = new SnapshotChecker();
    const base = runSteps(warm.checkSteps(snapshotOf(1, [svc], routes)));
    const prepared = stepsOf(warm.prepareDeltaSteps());
    expect(prepared).toBeGreaterThan(0);
    const served = { version: base.version, hash: base.hash };
    const coldSteps = stepsOf(cold.checkDeltaSteps(delta(), served));
    const warmGen = warm.checkDeltaSteps(delta(), served);
    let result: IteratorResult<unknown, unknown>;
    let warmSteps = 0;
    while (!(result = warmGen.next()).done) warmSteps++;
    // the cold checker builds those lookups inside the delta's check: that much more work in it
    expect(coldSteps - warmSteps).toBe(prepared);
    expect((result.value as { config: { routes: unknown[] } }).config.routes).toHaveLength(routes.length + 1);
    // nothing left to prepare for the config that passed
    expect(stepsOf(warm.prepareDeltaSteps())).toBe(0);
  });
});
