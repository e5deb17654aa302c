// A lookup map that a delta updates without copying it: the entries the deltas changed sit in a small
// map (the layer) over the large one built from a whole config (the base), a deleted key as GONE. The
// serving config keeps reading its map while the next config is compiled, so no map is written once
// made: `withSteps` makes a new one over the same base. Once the layer holds an eighth of the base, it
// is folded into a new base, a few hundred entries per step. A lookup costs one more Map.get (the layer's).
import type { Steps } from '@archway/schema';

const GONE: unique symbol = Symbol('gone');

/** The layer is folded into a new base once it holds more than this and more than an eighth of the base. */
const MIN_FOLD = 64;
/** Entries copied between two steps of a fold. */
const FOLD_STEP = 512;

/** A read-only map whose values are never undefined, updated into new maps by `withSteps`. */
export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  #base: ReadonlyMap<K, V>;
  /** null when empty (every map built from a whole config): a lookup is then the base's alone */
  #layer: ReadonlyMap<K, V | typeof GONE> | null = null;
  #size: number;

  /** `base` becomes the new map's own: the caller does not write it afterwards */
  constructor(base: ReadonlyMap<K, V> = new Map()) {
    this.#base = base;
    this.#size = base.size;
  }

  /** `layer` over `base`, `size` entries in all (withSteps counts them) */
  static #over<K, V>(base: ReadonlyMap<K, V>, layer: ReadonlyMap<K, V | typeof GONE>, size: number): LayeredMap<K, V> {
    const map = new LayeredMap(base);
    map.#layer = layer.size > 0 ? layer : null;
    map.#size = size;
    return map;
  }

  get size(): number {
    return this.#size;
  }

  get(key: K): V | undefined {
    if (this.#layer === null) return this.#base.get(key);
    const v = this.#layer.get(key);
    return v === undefined ? this.#base.get(key) : v === GONE ? undefined : v;
  }

  has(key: K): boolean {
    if (this.#layer === null) return this.#base.has(key);
    const v = this.#layer.get(key);
    return v === undefined ? this.#base.has(key) : v !== GONE;
  }

  /** This map with the keys `deleted` taken out, then `set` put in: a new map; this one is unchanged. */
  *withSteps(deleted: Iterable<K>, set: Iterable<readonly [K, V]>): Steps<LayeredMap<K, V>> {
    const base = this.#base;
    const layer = new Map(this.#layer ?? []);
    let size = this.size;
    const present = (key: K): boolean => {
      const v = layer.get(key);
      return v === undefined ? base.has(key) : v !== GONE;
    };
    for (const key of deleted) {
      if (!present(key)) continue;
      size--;
      if (base.has(key)) layer.set(key, GONE);
      else layer.delete(key);
    }
    for (const [key, value] of set) {
      if (!present(key)) size++;
      layer.set(key, value);
    }
    if (layer.size <= MIN_FOLD || layer.size <= base.size / 8) return LayeredMap.#over(base, layer, size);
    const folded = new Map<K, V>();
    let n = 0;
    for (const [key, value] of base) {
      if (!layer.has(key)) folded.set(key, value);
      if (++n % FOLD_STEP === 0) yield;
    }
    for (const [key, value] of layer) if (value !== GONE) folded.set(key, value);
    return new LayeredMap(folded);
  }

  *entries(): MapIterator<[K, V]> {
    const layer = this.#layer ?? new Map<K, never>();
    for (const [key, value] of layer) if (value !== GONE) yield [key, value];
    for (const [key, value] of this.#base) if (!layer.has(key)) yield [key, value];
  }

  *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(each: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) each.call(thisArg, value, key, this);
  }
}
