// What a checked delta changed is found again by whoever holds its snapshot or a copy of it (ConfigStore
// hands the disk cache { version, hash, config }), without comparing the two configs entity by entity.
import { emptyConfig, emptyRemoved, runSteps, type ConfigDelta, type Snapshot } from '@archway/schema';
import { changesSinceSteps } from './snapshot-changes';
import { SnapshotChecker } from './snapshot-check';
import { makeRoute, makeService, snapshotOf } from './testing/fixtures';

describe('changesSinceSteps', () => {
  const svc = makeService({ port: 9600 });
  const routes = Array.from({ length: 2000 }, (_, i) => makeRoute(svc, { paths: [`/p${i}`] }));
  const added = makeRoute(svc, { paths: ['/added'] });

  /** a base of 2,000 routes and the snapshot a one-route delta made of it, both checked by one checker */
  function deltaApplied(): { base: Snapshot; next: Snapshot } {
    const checker = new SnapshotChecker();
    const whole = snapshotOf(1, [svc], routes);
    const base = runSteps(checker.checkSteps(whole));
    const delta: ConfigDelta = {
      baseVersion: 1,
      baseHash: whole.hash,
      version: 2,
      hash: snapshotOf(2, [svc], [...routes, added]).hash,
      upserted: { ...emptyConfig(), routes: [added] },
      removed: emptyRemoved(),
    };
    const next = runSteps(checker.checkDeltaSteps(delta, { version: 1, hash: whole.hash }));
    return { base, next };
  }
  /** a generator's result and how many steps (units of work between which requests are served) it took */
  function run<T>(gen: Generator<void, T>): { value: T; steps: number } {
    let steps = 0;
    for (;;) {
      const r = gen.next();
      if (r.done) return { value: r.value, steps };
      steps++;
    }
  }

  it("finds a delta's recorded changes for copies of its snapshots, in no steps", () => {
    const { base, next } = deltaApplied();
    const found = run(changesSinceSteps({ ...base }, { ...next }, 100));
    expect(found.steps).toBe(0);
    expect(found.value).toEqual({ upserted: { routes: [added] }, removed: {} });
  });

  it('compares the configs by identity, a few hundred entities per step, when no delta made the one from the other', () => {
    const { base, next } = deltaApplied();
    // the same lists in a config object no delta made: nothing recorded for it
    const unrecorded = { ...next, config: { ...next.config } };
    const found = run(changesSinceSteps(base, unrecorded, 100));
    expect(found.steps).toBeGreaterThan(4);
    expect(found.value).toEqual({ upserted: { routes: [added] }, removed: {} });
    // more changes than the limit: a whole snapshot is the better message
    expect(run(changesSinceSteps(base, unrecorded, 1)).value).toBeNull();
  });
});
