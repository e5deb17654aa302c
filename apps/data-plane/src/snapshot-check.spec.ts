// The sync client's checker validates a snapshot once, and across snapshots validates again only what
// changed: an entity changed under the same id is checked again, an unchanged one is taken as validated.
import { configHash, makeSnapshot } from '@archway/schema';
import { checkSnapshot, ConfigRejectedError, isChecked, SnapshotChecker } from './snapshot-check';
import { makeRoute, makeService, snapshotOf } from './testing/fixtures';
import { runSteps } from '@archway/schema';

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
