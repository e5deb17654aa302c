// Entity lists kept sorted by a key (the data plane's: the id; the control plane's: entityKey, the id in
// lower case), edited where the changes fall: a binary search per change and one copy of the list,
// where a walk would look every entity up.
import type { StoredEntity } from './config-integrity';

/** The first index of `list` (sorted by `keyOf`), from `from` on, whose key is not below `key`. */
export function lowerBound(list: readonly StoredEntity[], key: string, keyOf: (e: StoredEntity) => string, from = 0): number {
  let lo = from;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keyOf(list[mid]) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A new list: `list` (sorted by `keyOf`) with each of `changes` put in: its entity in place of the one
 * with its key, or inserted where its key belongs; null takes the one with its key out. The entities
 * taken out (replaced or removed) are pushed onto `dropped`, in list order.
 */
export function patchSortedList(
  list: readonly StoredEntity[],
  changes: ReadonlyMap<string, StoredEntity | null>,
  keyOf: (e: StoredEntity) => string,
  dropped?: StoredEntity[],
): StoredEntity[] {
  const out: StoredEntity[] = [];
  let from = 0;
  for (const key of [...changes.keys()].sort()) {
    const at = lowerBound(list, key, keyOf, from);
    while (from < at) out.push(list[from++]);
    if (at < list.length && keyOf(list[at]) === key) {
      dropped?.push(list[at]);
      from = at + 1;
    }
    const next = changes.get(key);
    if (next) out.push(next);
  }
  while (from < list.length) out.push(list[from++]);
  return out;
}
