// Work split into steps: a generator that yields between units of work (an entity, a route) and
// returns its result. The same code runs to the end at once (runSteps, for specs, the CLI and the
// control plane) or in time slices (the data plane drives it between requests, so a large snapshot
// never holds the proxy's event loop for longer than a slice). Pure: no timers, no I/O here.
export type Steps<T> = Generator<void, T, undefined>;

/** Runs `steps` to the end, synchronously, and returns the result. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Items handled between two steps of forEachInSteps: a few tens of µs of work, well under a time slice. */
const EACH_STEP = 256;

/**
 * Calls `each` for every item of `list`, a step per `perStep` items (a few hundred by default: a lookup
 * built, ids gathered; more where `each` is only a Map.set or a Set.has).
 */
export function* forEachInSteps<T>(list: readonly T[] | undefined, each: (item: T) => void, perStep = EACH_STEP): Steps<void> {
  if (!list) return;
  for (let from = 0; from < list.length; from += perStep) {
    const to = Math.min(list.length, from + perStep);
    for (let i = from; i < to; i++) each(list[i]);
    yield;
  }
}

/** Elements compared or moved between two steps of sortSteps. */
const SORT_STEP = 512;

/**
 * A sorted copy of `items` (stable, like Array.prototype.sort), one step per few hundred elements: a
 * bottom-up merge sort of runs sorted by Array.prototype.sort. An already sorted list (the control
 * plane sends collections in id order) costs one pass.
 */
export function* sortSteps<T>(items: readonly T[], compare: (a: T, b: T) => number): Steps<T[]> {
  const n = items.length;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) {
    sorted = compare(items[i - 1], items[i]) <= 0;
    if (i % SORT_STEP === 0) yield;
  }
  let a = items.slice();
  if (sorted) return a;
  for (let lo = 0; lo < n; lo += SORT_STEP) {
    const run = a.slice(lo, lo + SORT_STEP).sort(compare);
    for (let j = 0; j < run.length; j++) a[lo + j] = run[j];
    yield;
  }
  let b = new Array<T>(n);
  for (let width = SORT_STEP; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      for (let k = lo; k < hi; k++) {
        b[k] = i < mid && (j >= hi || compare(a[i], a[j]) <= 0) ? a[i++] : a[j++];
        if (k % SORT_STEP === 0) yield;
      }
    }
    [a, b] = [b, a];
  }
  return a;
}
