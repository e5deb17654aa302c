// A candidate index over matchers. Prefix-path matchers hang off a character trie keyed by their
// normalised prefix, so a request only visits the nodes along its own path (O(path length)) instead of
// every prefix route; regex and path-less matchers sit in one list in priority order (Kong checks those
// in order too). Lists are filled in global rank order, so each one is already sorted.
import type { Matcher } from './matcher';

export class TrieNode {
  children: Map<number, TrieNode> | null = null;
  /** matchers whose prefix ends exactly here, by rank */
  matchers: Matcher[] | null = null;
}

export class Section {
  /** regex-path and path-less matchers, by rank */
  readonly others: Matcher[] = [];
  readonly root = new TrieNode();

  /** Matchers must be added in rank order. */
  add(m: Matcher): void {
    if (m.prefix === null) {
      this.others.push(m);
      return;
    }
    let node = this.root;
    for (let i = 0; i < m.prefix.length; i++) {
      const c = m.prefix.charCodeAt(i);
      node.children ??= new Map();
      let next = node.children.get(c);
      if (next === undefined) {
        next = new TrieNode();
        node.children.set(c, next);
      }
      node = next;
    }
    (node.matchers ??= []).push(m);
  }
}
