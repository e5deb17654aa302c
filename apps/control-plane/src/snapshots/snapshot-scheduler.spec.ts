import { emptyConfig, makeSnapshot, type Snapshot } from '@archway/schema';
import { silentLogger } from '@archway/telemetry';
import { SnapshotScheduler } from './snapshot-scheduler';

/** `buildMs`: how long a build takes after reading the version (as a build reads, then checks). */
function setup(debounceMs: number, maxDelayMs: number, buildMs = 0) {
  let version = 0;
  const published: Snapshot[] = [];
  let builds = 0;
  const scheduler = new SnapshotScheduler({
    debounceMs,
    maxDelayMs,
    logger: silentLogger,
    build: async () => {
      builds++;
      const read = version;
      if (buildMs) await new Promise((r) => setTimeout(r, buildMs));
      return makeSnapshot(read, emptyConfig());
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

  it('builds a lone write at once after a quiet spell, without waiting the debounce', async () => {
    const { scheduler, published, bump } = setup(50, 100);
    scheduler.trigger(bump());
    await jest.advanceTimersByTimeAsync(1);
    expect(published.map((s) => s.version)).toEqual([1]);
  });

  it("does not restart the wait for a version it already waits for (a write, then that write's NOTIFY)", async () => {
    const { scheduler, published, bump, builds } = setup(5, 100);
    scheduler.trigger(bump());
    const v = bump();
    scheduler.trigger(v); // a burst: now waiting 5 ms for more
    await jest.advanceTimersByTimeAsync(3);
    scheduler.trigger(v); // the NOTIFY of the same write
    await jest.advanceTimersByTimeAsync(3);
    expect(builds()).toBe(1);
    expect(published.map((s) => s.version)).toEqual([2]);
  });

  it('builds once more for a write during a build, and not for the NOTIFY of the version being built', async () => {
    const { scheduler, published, bump, builds } = setup(5, 100, 10);
    const v = bump();
    scheduler.trigger(v);
    await jest.advanceTimersByTimeAsync(2);
    scheduler.trigger(v); // its NOTIFY, while it is being built
    await jest.advanceTimersByTimeAsync(20);
    expect(builds()).toBe(1);
    scheduler.trigger(bump());
    await jest.advanceTimersByTimeAsync(2);
    scheduler.trigger(bump()); // written while version 2 is being built
    await jest.advanceTimersByTimeAsync(30);
    expect(builds()).toBe(3);
    expect(published.map((s) => s.version)).toEqual([1, 2, 3]);
  });
});
