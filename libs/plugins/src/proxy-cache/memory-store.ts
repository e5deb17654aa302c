// proxy-cache's memory strategy: Kong keeps entries in an nginx shared dict named by
// memory.dictionary_name; Archway keeps one in-process LRU per name, bounded in bytes, shared by every
// plugin instance naming it and kept across configuration changes (as the shared dict is).
export interface CachedResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** epoch seconds when stored */
  timestamp: number;
  /** seconds the response is fresh */
  ttl: number;
}

interface Slot {
  value: CachedResponse;
  /** epoch ms after which the entry is gone (storage_ttl) */
  expiresAt: number;
  bytes: number;
}

/** Kong's default mem_cache_size (128m), the size of its kong_db_cache dict. */
export const DEFAULT_DICTIONARY_BYTES = 128 * 1024 * 1024;

function sizeOf(key: string, v: CachedResponse): number {
  let n = key.length + v.body.length + 64;
  for (const name in v.headers) {
    const h = v.headers[name];
    n += name.length + (Array.isArray(h) ? h.reduce((a, s) => a + s.length, 0) : h.length);
  }
  return n;
}

export class MemoryStore {
  // a Map iterates in insertion order: re-inserting on a hit makes the first entry the least recent
  readonly #slots = new Map<string, Slot>();
  #bytes = 0;

  constructor(readonly maxBytes: number = DEFAULT_DICTIONARY_BYTES) {}

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#slots.size;
  }

  fetch(key: string, nowMs: number): CachedResponse | null {
    const slot = this.#slots.get(key);
    if (!slot) return null;
    this.#slots.delete(key);
    if (slot.expiresAt <= nowMs) {
      this.#bytes -= slot.bytes;
      return null;
    }
    this.#slots.set(key, slot);
    return slot.value;
  }

  /** Stores for `ttlSec` seconds, evicting the least recently used entries to stay within the bound. */
  store(key: string, value: CachedResponse, ttlSec: number, nowMs: number): boolean {
    this.purge(key);
    const bytes = sizeOf(key, value);
    if (bytes > this.maxBytes || ttlSec <= 0) return false;
    for (const [k, slot] of this.#slots) {
      if (this.#bytes + bytes <= this.maxBytes) break;
      this.#slots.delete(k);
      this.#bytes -= slot.bytes;
    }
    this.#slots.set(key, { value, expiresAt: nowMs + ttlSec * 1000, bytes });
    this.#bytes += bytes;
    return true;
  }

  purge(key: string): void {
    const slot = this.#slots.get(key);
    if (!slot) return;
    this.#slots.delete(key);
    this.#bytes -= slot.bytes;
  }

  flush(): void {
    this.#slots.clear();
    this.#bytes = 0;
  }
}

const DICTIONARIES = new Map<string, MemoryStore>();

/** The store for `name`, created on first use. */
export function memoryDictionary(name: string): MemoryStore {
  let store = DICTIONARIES.get(name);
  if (!store) DICTIONARIES.set(name, (store = new MemoryStore()));
  return store;
}
