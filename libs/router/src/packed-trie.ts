// Character tries the router walks along the request's own text (path, or host for wildcard hosts), so a
// lookup visits only the nodes of keys that are a prefix of that text, whatever the number of keys.
import { runSteps, sortSteps, type Steps } from '@archway/schema';

/** Nodes packed between two steps of PackedTrie.packSteps. */
const NODES_PER_STEP = 512;

/** Array.prototype.sort's default order for strings (UTF-16 code units), as a comparator. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `entries` as a SortedSet, in steps: UTF-16 code-unit order, in which a key sorts before its extensions. */
export function* sortedSetSteps<T>(entries: ReadonlyMap<string, T>): Steps<SortedSet<T>> {
  const keys = yield* sortSteps([...entries.keys()], byCodeUnits);
  return { keys, values: keys.map((k) => entries.get(k) as T) };
}

/** A key set for PackedTrie.packSortedSteps: `keys` in code-unit order, `values[i]` stored under `keys[i]`. */
export interface SortedSet<T> {
  keys: readonly string[];
  values: readonly T[];
}

const STRIDE = 4;
const LABEL_START = 0;
const LABEL_LENGTH = 1;
const FIRST_CHILD = 2;
/** child count << 1 | 1 when something is stored at the node (so a lookup reads `values` only then) */
const CHILDREN_AND_VALUE = 3;

/**
 * Tries, compressed and packed for lookups, several to an instance (one per section: allocating a few
 * large arrays is much cheaper at compile time than thousands of small ones). Nodes are numbered
 * breadth-first, so a node's children are consecutive numbers. A chain of nodes with one child and nothing
 * stored is merged into one node whose label holds the chain. Every node's fields, label characters and
 * the code unit that leads to it live in three typed arrays: a lookup reads a few contiguous cache lines
 * per branch point instead of chasing a Map and several objects per character, which is what keeps it
 * fast when 10,000 routes no longer fit in the CPU caches.
 */
export class PackedTrie<T> {
  /** per node: label start, label length, first child, child count and whether a value is stored */
  readonly #nodes: Int32Array;
  /** label code units: for the root all of its label, for other nodes the label after the code unit that leads there */
  readonly #chars: Uint16Array;
  /** per node: the code unit that leads to it from its parent */
  readonly #keys: Uint16Array;
  /** per node: what is stored there, or null */
  readonly values: (T | null)[];
  /** the root node of each key set given to the constructor */
  readonly roots: number[];

  /** Packs several tries, one per key set (key → what is stored under it); `roots[i]` is set i's root. */
  static of<T>(sets: readonly ReadonlyMap<string, T>[]): PackedTrie<T> {
    return runSteps(PackedTrie.packSteps(sets));
  }

  /** PackedTrie.of, one step per few hundred keys (a router's section can hold thousands). */
  static *packSteps<T>(sets: readonly ReadonlyMap<string, T>[]): Steps<PackedTrie<T>> {
    const sorted: SortedSet<T>[] = [];
    for (const entries of sets) sorted.push(yield* sortedSetSteps(entries));
    return yield* PackedTrie.packSortedSteps(sorted);
  }

  /**
   * Packs key sets given as keys in code-unit order and their values (a router section keeps its own so,
   * and a delta changes a few of them rather than sorting thousands again).
   */
  static *packSortedSteps<T>(sets: readonly SortedSet<T>[]): Steps<PackedTrie<T>> {
    let keyCount = 0;
    let charCount = 0;
    for (const { keys } of sets) {
      keyCount += keys.length;
      for (const k of keys) charCount += k.length;
    }
    // every node but a root holds a key or branches: at most two per key, plus the roots (typed arrays
    // of that size, cut to what was used at the end, instead of growing arrays of numbers and objects)
    const most = 2 * keyCount + sets.length;
    const nodes = new Int32Array(most * STRIDE);
    const chars = new Uint16Array(charCount);
    const keys = new Uint16Array(most);
    const values: (T | null)[] = [];
    const roots: number[] = [];
    // Node `id` covers the keys sorted[lo..hi) (which share their first `depth` code units) and is reached
    // by code unit `key`. Breadth-first, so the children queued for one node get consecutive ids; one set
    // after the other, so each trie's nodes sit together.
    const queueLo = new Int32Array(most);
    const queueHi = new Int32Array(most);
    const queueDepth = new Int32Array(most);
    let queued = 0;
    let charsUsed = 0;
    let id = 0;
    for (const { keys: sorted, values: stored } of sets) {
      roots.push(queued);
      queueLo[queued] = 0;
      queueHi[queued] = sorted.length;
      queueDepth[queued] = 0;
      keys[queued++] = 0;
      for (; id < queued; id++) {
        let lo = queueLo[id];
        const hi = queueHi[id];
        const depth = queueDepth[id];
        // the label runs on while no key ends and every key goes on with the same code unit
        let end = depth;
        while (lo < hi && sorted[lo].length > end && sorted[lo].charCodeAt(end) === sorted[hi - 1].charCodeAt(end)) end++;
        const labelStart = charsUsed;
        for (let i = depth; i < end; i++) chars[charsUsed++] = sorted[lo].charCodeAt(i);
        let value: T | null = null;
        if (lo < hi && sorted[lo].length === end) value = stored[lo++];
        const firstChild = queued;
        while (lo < hi) {
          const c = sorted[lo].charCodeAt(end);
          let next = lo + 1;
          while (next < hi && sorted[next].charCodeAt(end) === c) next++;
          queueLo[queued] = lo;
          queueHi[queued] = next;
          queueDepth[queued] = end + 1;
          keys[queued++] = c;
          lo = next;
        }
        const at = id * STRIDE;
        nodes[at + LABEL_START] = labelStart;
        nodes[at + LABEL_LENGTH] = end - depth;
        nodes[at + FIRST_CHILD] = firstChild;
        nodes[at + CHILDREN_AND_VALUE] = ((queued - firstChild) << 1) | (value === null ? 0 : 1);
        values.push(value);
        if (id % NODES_PER_STEP === NODES_PER_STEP - 1) yield;
      }
    }
    yield;
    return new PackedTrie(nodes.slice(0, id * STRIDE), chars.slice(0, charsUsed), keys.slice(0, id), values, roots);
  }

  private constructor(nodes: Int32Array, chars: Uint16Array, keys: Uint16Array, values: (T | null)[], roots: number[]) {
    this.#nodes = nodes;
    this.#chars = chars;
    this.#keys = keys;
    this.values = values;
    this.roots = roots;
  }

  /**
   * Whether `text` holds node `n`'s label at `at` (reading `text` from its end when `reversed`). The
   * caller passes `at` just past the code unit that led to `n` (0 at a root).
   */
  labelAt(n: number, text: string, at: number, reversed: boolean): boolean {
    const start = this.#nodes[n * STRIDE + LABEL_START];
    const length = this.#nodes[n * STRIDE + LABEL_LENGTH];
    if (at + length > text.length) return false;
    const chars = this.#chars;
    if (reversed) {
      const end = text.length - 1 - at;
      for (let j = 0; j < length; j++) if (text.charCodeAt(end - j) !== chars[start + j]) return false;
    } else for (let j = 0; j < length; j++) if (text.charCodeAt(at + j) !== chars[start + j]) return false;
    return true;
  }

  /** What is stored at node `n`, or null. */
  valueAt(n: number): T | null {
    return (this.#nodes[n * STRIDE + CHILDREN_AND_VALUE] & 1) === 0 ? null : this.values[n];
  }

  labelLength(n: number): number {
    return this.#nodes[n * STRIDE + LABEL_LENGTH];
  }

  /** The child of node `n` that code unit `c` leads to, or -1. */
  child(n: number, c: number): number {
    const first = this.#nodes[n * STRIDE + FIRST_CHILD];
    const end = first + (this.#nodes[n * STRIDE + CHILDREN_AND_VALUE] >> 1);
    const keys = this.#keys;
    for (let i = first; i < end; i++) if (keys[i] === c) return i;
    return -1;
  }
}

/** One empty trie (root 0), shared by whatever has not been packed yet. */
export const EMPTY_TRIE = PackedTrie.of([new Map<string, never>()]);
