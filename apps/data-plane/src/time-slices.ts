// Runs stepwise work (a Steps generator, see libs/schema steps.ts) on the event loop in slices of a
// millisecond, yielding between slices: I/O that arrived meanwhile (requests to proxy, responses to
// stream) is handled before the next slice, and the next slice waits (up to IDLE_WAIT_MS) until no
// request is in flight (serving-load.ts). A large snapshot is checked and compiled this way while the
// proxy keeps serving the old config, until one assignment swaps it in.
import { performance } from 'node:perf_hooks';
import type { Steps } from '@archway/schema';
import { whenIdle } from './serving-load';

/**
 * Longest stretch of apply work between two turns of the event loop (ms). A proxied request needs a
 * few turns (its request in, the upstream's answer back), each of which may wait for a slice: with 4 ms
 * the proxy's p99 during a 10,000-route delta was 4-5× its steady p99 in the harness, with 1 ms 1.2-3×
 * (0.5 ms did no better; 0.25 ms lowered the p50 of the requests during an apply, not their p99, which
 * the machine's own tail sets: docs/decisions.md, "The proxy while a delta is applied", and
 * docs/benchmarks.md, "Proxy latency during applies"). A slice costs one turn of the loop (tens of µs).
 */
export const APPLY_SLICE_MS = 1;

/**
 * Longest wait before a slice for the requests in flight to end (ms). Under a load that never leaves
 * the proxy idle, apply work still gets a slice per APPLY_SLICE_MS + IDLE_WAIT_MS (a quarter of the
 * loop): an apply then takes up to 4× its CPU time, and the requests meanwhile meet a slice every
 * 4 ms instead of at every turn of the loop.
 */
export const IDLE_WAIT_MS = 3;

export function runInSlices<T>(steps: Steps<T>, sliceMs: number = APPLY_SLICE_MS, idleWaitMs: number = IDLE_WAIT_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const slice = (): void => {
      const end = performance.now() + sliceMs;
      try {
        for (;;) {
          const r = steps.next();
          if (r.done) return resolve(r.value);
          if (performance.now() >= end) break;
        }
      } catch (err) {
        return reject(err);
      }
      whenIdle(idleWaitMs, slice);
    };
    whenIdle(idleWaitMs, slice);
  });
}
