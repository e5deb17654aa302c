// Apply work runs in slices that wait for the proxy to have no request in flight (serving-load.ts), for
// a bounded time. Order of events only: the waits asserted on are far longer than the test takes.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Steps } from '@archway/schema';
import { requestEnded, requestsInFlight, requestStarted } from './serving-load';
import { runInSlices } from './time-slices';

function* counted(log: string[], n: number): Steps<number> {
  for (let i = 0; i < n; i++) {
    log.push(`step ${i}`);
    yield;
  }
  return n;
}

describe('runInSlices', () => {
  afterEach(() => {
    while (requestsInFlight() > 0) requestEnded();
  });

  it('runs every step and resolves with the result when nothing is being served', async () => {
    const log: string[] = [];
    await expect(runInSlices(counted(log, 3), 1, 60_000)).resolves.toBe(3);
    expect(log).toEqual(['step 0', 'step 1', 'step 2']);
  });

  it('starts no slice while a request is in flight, and goes on once it is answered', async () => {
    const log: string[] = [];
    requestStarted();
    const done = runInSlices(counted(log, 3), 1, 60_000).then((n) => log.push(`done ${n}`));
    await sleep(50);
    expect(log).toEqual([]);
    requestEnded();
    await done;
    expect(log).toEqual(['step 0', 'step 1', 'step 2', 'done 3']);
  });

  it('waits for the last of several requests in flight', async () => {
    const log: string[] = [];
    requestStarted();
    requestStarted();
    const done = runInSlices(counted(log, 1), 1, 60_000);
    requestEnded();
    await sleep(50);
    expect(log).toEqual([]);
    requestEnded();
    await done;
    expect(log).toEqual(['step 0']);
  });

  it('goes on after the longest wait when requests never stop (a load that never leaves the proxy idle)', async () => {
    const log: string[] = [];
    requestStarted();
    await expect(runInSlices(counted(log, 3), 1, 5)).resolves.toBe(3);
    expect(log).toEqual(['step 0', 'step 1', 'step 2']);
    expect(requestsInFlight()).toBe(1);
  });

  it('rejects with the error a step throws', async () => {
    function* failing(): Steps<void> {
      yield;
      throw new Error('bad snapshot');
    }
    await expect(runInSlices(failing(), 1, 5)).rejects.toThrow('bad snapshot');
  });
});
