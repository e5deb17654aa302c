// Which sections (section.ts) a matcher is filed under, so a request visits only the sections its own
// host and headers lead to. A matcher with hosts is filed under each of them: exact hosts in a map,
// `*.example.com` in a trie of reversed suffixes, `example.*` in a trie of prefixes (a host then finds
// every wildcard it ends or starts with by walking its own characters). A matcher without hosts but with
// a plain header condition (`x-version: v1, v2`) is filed under each value of that header. The rest sit
// in the any-host section. Filing only narrows the candidates: every field is still checked on a
// candidate, so where a matcher is filed never changes which route wins, only how fast it is found.
import type { Steps } from '@archway/schema';
import { EMPTY_TRIE, PackedTrie, sortedSetSteps, type SortedSet } from './packed-trie';
import { type HeaderCondition, HostKind, type Matcher } from './matcher';
import { Section, updatedSectionSteps } from './section';

export interface HeaderSections {
  /** lower-case header name, as node:http keys headers */
  name: string;
  /** by lower-cased value */
  byValue: Map<string, Section>;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * A header condition the index can file under: compared literally, and only with ASCII values, for
 * which lower-casing the request's value (`toLowerCase`) gives exactly the matcher's case-insensitive
 * comparison (matcher.ts `equalsLowerCase`).
 */
function indexableHeader(m: Matcher): HeaderCondition | null {
  if (m.headers === null) return null;
  for (const h of m.headers) if (h.values !== null && h.values.every(isAscii)) return h;
  return null;
}

/** Where a matcher is filed: a table of the index and the key in it. */
const enum Table {
  Host,
  Suffix,
  Prefix,
  Header,
  Any,
}

interface Place {
  table: Table;
  /** the header's name (Table.Header), else '' */
  header: string;
  /** the exact host, the reversed suffix, the prefix, the header value; '' for the any-host section */
  key: string;
}

/** The places `m` is filed under, each once however many of its hosts or values lead there. */
function placesOf(m: Matcher): Place[] {
  const places: Place[] = [];
  if (m.hosts !== null)
    for (const h of m.hosts) {
      if (h.kind === HostKind.Exact) places.push({ table: Table.Host, header: '', key: h.value });
      // a suffix is reversed by code unit, as the lookup reads the host from its end
      else if (h.kind === HostKind.Suffix) places.push({ table: Table.Suffix, header: '', key: h.value.split('').reverse().join('') });
      else places.push({ table: Table.Prefix, header: '', key: h.value });
    }
  else {
    const header = indexableHeader(m);
    if (header !== null) for (const v of header.values as string[]) places.push({ table: Table.Header, header: header.name, key: v });
    else places.push({ table: Table.Any, header: '', key: '' });
  }
  return places.filter((p, i) => places.findIndex((q) => q.table === p.table && q.header === p.header && q.key === p.key) === i);
}

export class RouteIndex {
  byHost = new Map<string, Section>();
  /**
   * Wildcard hosts, set by `freeze`: from `suffixRoot` keyed by the reversed suffix of `*.example.com`
   * (`.example.com`), from `prefixRoot` keyed by the prefix of `example.*` (`example.`).
   */
  wildcards: PackedTrie<Section> = EMPTY_TRIE;
  suffixRoot = 0;
  prefixRoot = 0;
  byHeader: HeaderSections[] = [];
  anyHost = new Section();
  /** by reversed suffix / by prefix (packed into `wildcards` by `freeze`) */
  #suffixes = new Map<string, Section>();
  #prefixes = new Map<string, Section>();
  readonly #sections: Section[] = [this.anyHost];

  /** Packs every trie, in steps; call once every matcher is added. */
  *freezeSteps(): Steps<void> {
    const sets: SortedSet<Matcher[]>[] = [];
    for (const s of this.#sections) sets.push(yield* sortedSetSteps(s.filled));
    const paths = yield* PackedTrie.packSortedSteps(sets);
    this.#sections.forEach((s, i) => s.packedAs(sets[i], paths, paths.roots[i]));
    yield* this.#packWildcardsSteps();
  }

  *#packWildcardsSteps(): Steps<void> {
    this.wildcards = yield* PackedTrie.packSteps([this.#suffixes, this.#prefixes]);
    [this.suffixRoot, this.prefixRoot] = this.wildcards.roots;
  }

  /** Matchers must be added in rank order. */
  add(m: Matcher): void {
    for (const p of placesOf(m)) this.#section(p).add(m);
  }

  #section(p: Place): Section {
    switch (p.table) {
      case Table.Host:
        return this.#hostSection(p.key);
      case Table.Suffix:
      case Table.Prefix: {
        const map = p.table === Table.Suffix ? this.#suffixes : this.#prefixes;
        let section = map.get(p.key);
        if (section === undefined) map.set(p.key, (section = this.#newSection()));
        return section;
      }
      case Table.Header:
        return this.#headerSection(p.header, p.key);
      default:
        return this.anyHost;
    }
  }

  #hostSection(value: string): Section {
    let section = this.byHost.get(value);
    if (section === undefined) this.byHost.set(value, (section = this.#newSection(true)));
    return section;
  }

  #headerSection(name: string, value: string): Section {
    let entry = this.byHeader.find((e) => e.name === name);
    if (entry === undefined) this.byHeader.push((entry = { name, byValue: new Map() }));
    let section = entry.byValue.get(value);
    if (section === undefined) entry.byValue.set(value, (section = this.#newSection()));
    return section;
  }

  #newSection(exactHost = false): Section {
    const section = new Section(exactHost);
    this.#sections.push(section);
    return section;
  }

  /**
   * A new index: this one with `removed` taken out and `added` (ranked, ranks between those of the
   * matchers kept) put in. Only the sections they are filed under are built again, each into a trie of
   * its own; the others are shared with this index, which is not changed (the router serving reads it).
   */
  *updatedSteps(removed: readonly Matcher[], added: readonly Matcher[]): Steps<RouteIndex> {
    const changes = new Map<string, { place: Place; removed: Matcher[]; added: Matcher[] }>();
    const note = (m: Matcher, which: 'removed' | 'added') => {
      for (const place of placesOf(m)) {
        const k = `${place.table}|${place.header}|${place.key}`;
        let c = changes.get(k);
        if (c === undefined) changes.set(k, (c = { place, removed: [], added: [] }));
        c[which].push(m);
      }
    };
    for (const m of removed) note(m, 'removed');
    for (const m of added) note(m, 'added');
    const next = new RouteIndex();
    next.byHost = this.byHost;
    next.byHeader = this.byHeader;
    next.anyHost = this.anyHost;
    next.#suffixes = this.#suffixes;
    next.#prefixes = this.#prefixes;
    next.wildcards = this.wildcards;
    next.suffixRoot = this.suffixRoot;
    next.prefixRoot = this.prefixRoot;
    let wildcardsChanged = false;
    const copied = new Set<unknown>();
    const own = <M>(m: M, copy: (m: M) => M): M => {
      if (copied.has(m)) return m;
      const c = copy(m);
      copied.add(c);
      return c;
    };
    const copyMap = (m: Map<string, Section>) => new Map(m);
    for (const { place, removed: out, added: into } of changes.values()) {
      // the maps and lists holding a changed section are copied once, then changed
      const set = function* (map: Map<string, Section>, exactHost: boolean): Steps<Map<string, Section>> {
        const old = map.get(place.key) ?? null;
        const section = yield* updatedSectionSteps(old, exactHost, out, into);
        if (section.size === 0) map.delete(place.key);
        else map.set(place.key, section);
        return map;
      };
      switch (place.table) {
        case Table.Host:
          next.byHost = yield* set(own(next.byHost, copyMap), true);
          break;
        case Table.Suffix:
          next.#suffixes = yield* set(own(next.#suffixes, copyMap), false);
          wildcardsChanged = true;
          break;
        case Table.Prefix:
          next.#prefixes = yield* set(own(next.#prefixes, copyMap), false);
          wildcardsChanged = true;
          break;
        case Table.Header: {
          next.byHeader = own(next.byHeader, (list) => list.slice());
          let i = next.byHeader.findIndex((e) => e.name === place.header);
          if (i < 0) i = next.byHeader.push({ name: place.header, byValue: new Map() }) - 1;
          const entry = (next.byHeader[i] = own(next.byHeader[i], (e) => ({ name: e.name, byValue: copyMap(e.byValue) })));
          yield* set(entry.byValue, false);
          if (entry.byValue.size === 0) next.byHeader.splice(i, 1);
          break;
        }
        default:
          next.anyHost = yield* updatedSectionSteps(next.anyHost, false, out, into);
      }
    }
    if (wildcardsChanged) yield* next.#packWildcardsSteps();
    return next;
  }
}
