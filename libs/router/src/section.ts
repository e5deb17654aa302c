// A candidate index over matchers that share the host (or header) conditions that led to it. Matchers
// hang off a character trie keyed by their path key (matcher.ts `pathKey`): a prefix path, or a regex
// path's literal prefix. A request only visits the nodes along its own path (O(path length)) instead of
// every route; matchers with an empty key (no path, or a regex with no literal prefix such as `~.*foo`)
// sit at the root and are tried on every path. Lists are filled in global rank order, so each one is
// already sorted, and a node can mix prefix and regex matchers.
import type { Steps } from '@archway/schema';
import { EMPTY_TRIE, PackedTrie, type SortedSet } from './packed-trie';
import type { Matcher } from './matcher';

/** Keys a section's update copies or merges between two steps. */
const KEYS_PER_STEP = 1024;

export class Section {
  /** @param exactHost whether the section holds the matchers of one exact host (the request's, when searched) */
  constructor(readonly exactHost = false) {}

  /** path key → matchers (in rank order) while the section is filled (`add`), until it is packed */
  #filling: Map<string, Matcher[]> | null = new Map();
  /**
   * Once packed (by `RouteIndex.freeze`, or made by `updatedSectionSteps`): the path keys in code-unit
   * order and their matchers (in rank order), as packed into `trie`; kept so a delta can build the
   * section again without the others. Never changed once packed.
   */
  packed: SortedSet<Matcher[]> = { keys: [], values: [] };
  /** the packed trie this section's root lives in (shared with other sections), and that root */
  trie: PackedTrie<Matcher[]> = EMPTY_TRIE;
  root = 0;
  /** rank of the best matcher here: a section cannot improve on a match of that rank or better */
  minRank = Infinity;

  /** Path keys with matchers. */
  get size(): number {
    return this.#filling?.size ?? this.packed.keys.length;
  }

  /** Matchers must be added in rank order, before the section is packed. */
  add(m: Matcher): void {
    if (this.#filling === null) throw new Error('a packed section is not changed');
    if (this.minRank === Infinity) this.minRank = m.rank;
    const list = this.#filling.get(m.pathKey);
    if (list === undefined) this.#filling.set(m.pathKey, [m]);
    else list.push(m);
  }

  /** What `add` filled, to pack (the packer sorts it). */
  get filled(): ReadonlyMap<string, Matcher[]> {
    return this.#filling ?? new Map();
  }

  /** Sets what the section was packed as, and where. */
  packedAs(packed: SortedSet<Matcher[]>, trie: PackedTrie<Matcher[]>, root: number): void {
    this.#filling = null;
    this.packed = packed;
    this.trie = trie;
    this.root = root;
  }
}

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
 * The changed keys are merged into old's sorted keys, so nothing is sorted or hashed per key; in steps:
 * the any-host section of a large config holds thousands of path keys.
 */
export function* updatedSectionSteps(old: Section | null, exactHost: boolean, removed: readonly Matcher[], added: readonly Matcher[]): Steps<Section> {
  // the changed keys' new lists, made from old's (looked up by binary search in its sorted keys)
  const from = old?.packed ?? { keys: [], values: [] };
  const changed = new Map<string, Matcher[]>();
  const own = (key: string): Matcher[] => {
    let list = changed.get(key);
    if (list === undefined) {
      const i = lowerBound(from.keys, key);
      list = i < from.keys.length && from.keys[i] === key ? from.values[i].slice() : [];
      changed.set(key, list);
    }
    return list;
  };
  for (const m of removed) {
    const list = own(m.pathKey);
    const i = list.indexOf(m);
    if (i >= 0) list.splice(i, 1);
  }
  for (const m of added) {
    const list = own(m.pathKey);
    list.splice(after(list, m.rank), 0, m);
  }
  // old's keys and the changed ones, merged in code-unit order (an emptied list drops its key)
  const changes = [...changed.keys()].sort();
  const keys: string[] = [];
  const values: Matcher[][] = [];
  let minRank = Infinity;
  const put = (key: string, list: Matcher[]) => {
    if (list.length === 0) return;
    keys.push(key);
    values.push(list);
    if (list[0].rank < minRank) minRank = list[0].rank;
  };
  let c = 0;
  const putChanged = () => {
    const key = changes[c++];
    put(key, changed.get(key) as Matcher[]);
  };
  for (let i = 0; i < from.keys.length; i++) {
    const key = from.keys[i];
    while (c < changes.length && changes[c] < key) putChanged();
    if (c < changes.length && changes[c] === key) putChanged();
    else put(key, from.values[i]);
    if (i % KEYS_PER_STEP === KEYS_PER_STEP - 1) yield;
  }
  while (c < changes.length) putChanged();
  const section = new Section(exactHost);
  section.minRank = minRank;
  const packed = { keys, values };
  const trie = yield* PackedTrie.packSortedSteps([packed]);
  section.packedAs(packed, trie, trie.roots[0]);
  return section;
}

/** Index of the first of `sorted` (code-unit order) not before `key`. */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
