// A candidate index over matchers that share the host (or header) conditions that led to it. Matchers
// hang off a character trie keyed by their path key (matcher.ts `pathKey`): a prefix path, or a regex
// path's literal prefix. A request only visits the nodes along its own path (O(path length)) instead of
// every route; matchers with an empty key (no path, or a regex with no literal prefix such as `~.*foo`)
// sit at the root and are tried on every path. Lists are filled in global rank order, so each one is
// already sorted, and a node can mix prefix and regex matchers.
import { EMPTY_TRIE, PackedTrie } from './packed-trie';
import type { Matcher } from './matcher';

export class Section {
  /** @param exactHost whether the section holds the matchers of one exact host (the request's, when searched) */
  constructor(readonly exactHost = false) {}

  /** path key → matchers, until `RouteIndex.freeze` packs them into `trie` */
  readonly byKey = new Map<string, Matcher[]>();
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
