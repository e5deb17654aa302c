import { emptyConfig, makeSnapshot, type Snapshot } from '@archway/schema';
import { silentLogger } from '@archway/telemetry';
import { SnapshotScheduler } from './snapshot-scheduler';

function setup(debounceMs: number, maxDelayMs: number) {
  let version = 0;
  const published: Snapshot[] = [];
  let builds = 0;
  const scheduler = new SnapshotScheduler({
    debounceMs,
    maxDelayMs,
    logger: silentLogger,
    build: async () => {
      builds++;
      return makeSnapshot(version, emptyConfig());
    },
    publish: (s) => published.push(s),
  });
  return { scheduler, published, bump: () => ++version, builds: () => builds };
}

describe('snapshot scheduler', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('coalesces a burst of writes into one snapshot at the newest version', async () => {
    const { scheduler, published, bump, builds } = setup(5, 100);
    for (let i = 0; i < 10; i++) scheduler.trigger(bump());
    await jest.advanceTimersByTimeAsync(6);
    expect(builds()).toBe(1);
    expect(published.map((s) => s.version)).toEqual([10]);
  });

  it('publishes within the cap even while writes keep arriving faster than the debounce', async () => {
    const { scheduler, published, bump } = setup(5, 20);
    for (let t = 0; t < 19; t += 3) {
      scheduler.trigger(bump());
      await jest.advanceTimersByTimeAsync(3);
    }
    await jest.advanceTimersByTimeAsync(2);
    expect(published.length).toBeGreaterThanOrEqual(1);
  });

  it('does not publish again for a version already published', async () => {
    const { scheduler, published, bump } = setup(1, 10);
    const v = bump();
    scheduler.trigger(v);
    await jest.advanceTimersByTimeAsync(2);
    scheduler.trigger(v);
    await jest.advanceTimersByTimeAsync(2);
    expect(published.map((s) => s.version)).toEqual([1]);
  });
});
