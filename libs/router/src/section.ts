// A candidate index over matchers that share the host (or header) conditions that led to it. Matchers
// hang off a character trie keyed by their path key (matcher.ts `pathKey`): a prefix path, or a regex
// path's literal prefix. A request only visits the nodes along its own path (O(path length)) instead of
// every route; matchers with an empty key (no path, or a regex with no literal prefix such as `~.*foo`)
// sit at the root and are tried on every path. Lists are filled in global rank order, so each one is
// already sorted, and a node can mix prefix and regex matchers.
import type { Steps } from '@archway/schema';
import { EMPTY_TRIE, PackedTrie, resortedKeys } from './packed-trie';
import type { Matcher } from './matcher';

export class Section {
  /** @param exactHost whether the section holds the matchers of one exact host (the request's, when searched) */
  constructor(readonly exactHost = false) {}

  /**
   * path key → matchers (in rank order), packed into `trie` by `RouteIndex.freeze`; kept so a delta can
   * build the section again without the others (`updated`). Never changed once packed.
   */
  byKey = new Map<string, Matcher[]>();
  /** byKey's keys in code-unit order, as packed: a delta packs the section again from them, with its changes */
  keys: readonly string[] = [];
  /** the packed trie this section's root lives in (shared with other sections), and that root */
  trie: PackedTrie<Matcher[]> = EMPTY_TRIE;
  root = 0;
  /** rank of the best matcher here: a section cannot improve on a match of that rank or better */
  minRank = Infinity;

  /** Matchers must be added in rank order, before the section is packed. */
  add(m: Matcher): void {
    if (this.minRank === Infinity) this.minRank = m.rank;
    const list = this.byKey.get(m.pathKey);
    if (list === undefined) this.byKey.set(m.pathKey, [m]);
    else list.push(m);
  }
}

/** Keys a section's update puts in or takes out one by one, beyond which they are sorted again. */
const RESORT_MOST = 64;

/** Index of the first matcher of `list` (rank order) ranked after `rank`. */
function after(list: readonly Matcher[], rank: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].rank < rank) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A new section: `old`'s matchers (none when null) without `removed` and with `added` (ranked), packed
 * into a trie of its own. `old` and its lists are not changed (the router serving still reads them).
 * In steps: the any-host section of a large config holds thousands of path keys.
 */
export function* updatedSectionSteps(old: Section | null, exactHost: boolean, removed: readonly Matcher[], added: readonly Matcher[]): Steps<Section> {
  const section = new Section(exactHost);
  const byKey = (section.byKey = new Map<string, Matcher[]>());
  // a copy of old's lists (a large config's any-host section holds thousands of keys)
  let n = 0;
  for (const [key, list] of old?.byKey ?? []) {
    byKey.set(key, list);
    if (++n % 1024 === 0) yield;
  }
  const copied = new Set<Matcher[]>();
  /** keys whose list was emptied or made here: each is in the packed keys before or after, or both */
  const touched = new Set<string>();
  const own = (key: string): Matcher[] => {
    let list = byKey.get(key);
    if (list === undefined) {
      byKey.set(key, (list = []));
      touched.add(key);
    } else if (!copied.has(list)) byKey.set(key, (list = list.slice()));
    copied.add(list);
    return list;
  };
  for (const m of removed) {
    const list = own(m.pathKey);
    const i = list.indexOf(m);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) {
      byKey.delete(m.pathKey);
      touched.add(m.pathKey);
    }
  }
  for (const m of added) {
    const list = own(m.pathKey);
    list.splice(after(list, m.rank), 0, m);
  }
  n = 0;
  for (const list of byKey.values()) {
    if (list[0].rank < section.minRank) section.minRank = list[0].rank;
    if (++n % 1024 === 0) yield;
  }
  let sorted: string[] | null = null;
  if (old !== null && old.keys.length === old.byKey.size && touched.size <= RESORT_MOST) {
    const gone = [...touched].filter((k) => old.byKey.has(k) && !byKey.has(k));
    const fresh = [...touched].filter((k) => !old.byKey.has(k) && byKey.has(k));
    sorted = resortedKeys(old.keys, gone, fresh);
  }
  section.trie = yield* PackedTrie.packSteps([byKey], [sorted]);
  section.root = section.trie.roots[0];
  section.keys = section.trie.sortedKeys[0];
  return section;
}
