// How many requests this process is serving right now, and a wait until it serves none. Apply work
// (time-slices.ts) waits for such a moment before each of its slices, for a bounded time: a proxied
// request takes several turns of the event loop (the request in, the upstream's answer back), and a
// slice run between two of them delays its answer by a slice; run while no request is in flight, a
// slice delays only the requests that arrive during it, and those by what is left of it.
// One per process (each proxy worker has its own); every ProxyServer in it counts here.

let inFlight = 0;
/** called once when inFlight next reaches 0 (a waiter whose time ran out takes itself out) */
let idleWaiters = new Set<() => void>();

/** A request arrived (its response not yet finished or aborted). */
export function requestStarted(): void {
  inFlight++;
}

/** A request's response finished or was aborted. */
export function requestEnded(): void {
  if (--inFlight === 0 && idleWaiters.size !== 0) {
    const waiters = idleWaiters;
    idleWaiters = new Set();
    for (const w of waiters) w();
  }
}

/** Requests being served by this process. */
export function requestsInFlight(): number {
  return inFlight;
}

/**
 * Calls `then` (from setImmediate, never synchronously) once no request is in flight, or after
 * `maxWaitMs` whichever comes first; at once if none is in flight now.
 */
export function whenIdle(maxWaitMs: number, then: () => void): void {
  if (inFlight === 0) {
    setImmediate(then);
    return;
  }
  const fire = (): void => {
    clearTimeout(timer);
    setImmediate(then);
  };
  const timer = setTimeout(() => {
    idleWaiters.delete(fire);
    setImmediate(then);
  }, maxWaitMs);
  idleWaiters.add(fire);
}
