// The lookups plugins build from the config (env.index): built in steps, so that a data plane builds
// them in time slices beside the proxy rather than in one block (10,000 consumers: a few ms).
import type { Steps } from '@archway/schema';

/** Entities indexed between two steps: a few tens of µs of work, well under a time slice. */
const INDEX_STEP = 256;

/** Calls `each` for every item of `list`, a step per few hundred items. */
export function* forEachInSteps<T>(list: readonly T[] | undefined, each: (item: T) => void): Steps<void> {
  if (!list) return;
  for (let from = 0; from < list.length; from += INDEX_STEP) {
    const to = Math.min(list.length, from + INDEX_STEP);
    for (let i = from; i < to; i++) each(list[i]);
    yield;
  }
}
