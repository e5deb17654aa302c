// Which sections (section.ts) a matcher is filed under, so a request visits only the sections its own
// host and headers lead to. A matcher with hosts is filed under each of them: exact hosts in a map,
// `*.example.com` in a trie of reversed suffixes, `example.*` in a trie of prefixes (a host then finds
// every wildcard it ends or starts with by walking its own characters). A matcher without hosts but with
// a plain header condition (`x-version: v1, v2`) is filed under each value of that header. The rest sit
// in the any-host section. Filing only narrows the candidates: every field is still checked on a
// candidate, so where a matcher is filed never changes which route wins, only how fast it is found.
import { EMPTY_TRIE, PackedTrie } from './packed-trie';
import { type HeaderCondition, HostKind, type Matcher } from './matcher';
import { Section } from './section';

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

export class RouteIndex {
  readonly byHost = new Map<string, Section>();
  /**
   * Wildcard hosts, set by `freeze`: from `suffixRoot` keyed by the reversed suffix of `*.example.com`
   * (`.example.com`), from `prefixRoot` keyed by the prefix of `example.*` (`example.`).
   */
  wildcards: PackedTrie<Section> = EMPTY_TRIE;
  suffixRoot = 0;
  prefixRoot = 0;
  readonly byHeader: HeaderSections[] = [];
  readonly anyHost = new Section();
  /** by reversed suffix / by prefix, until `freeze` packs them */
  readonly #suffixes = new Map<string, Section>();
  readonly #prefixes = new Map<string, Section>();
  readonly #sections: Section[] = [this.anyHost];

  /** Packs every trie; call once every matcher is added. */
  freeze(): void {
    const paths = new PackedTrie(this.#sections.map((s) => s.byKey));
    this.#sections.forEach((s, i) => {
      s.trie = paths;
      s.root = paths.roots[i];
      s.byKey.clear();
    });
    this.wildcards = new PackedTrie([this.#suffixes, this.#prefixes]);
    [this.suffixRoot, this.prefixRoot] = this.wildcards.roots;
  }

  /** Matchers must be added in rank order. */
  add(m: Matcher): void {
    const sections: Section[] = [];
    if (m.hosts !== null) for (const h of m.hosts) sections.push(this.#hostSection(h.kind, h.value));
    else {
      const header = indexableHeader(m);
      if (header !== null) for (const v of header.values as string[]) sections.push(this.#headerSection(header.name, v));
      else sections.push(this.anyHost);
    }
    // a matcher goes once into a section, however many of its hosts or values lead there
    sections.forEach((s, i) => sections.indexOf(s) === i && s.add(m));
  }

  #hostSection(kind: HostKind, value: string): Section {
    if (kind === HostKind.Exact) {
      let section = this.byHost.get(value);
      if (section === undefined) this.byHost.set(value, (section = this.#newSection(true)));
      return section;
    }
    // a suffix is reversed by code unit, as the lookup reads the host from its end
    const map = kind === HostKind.Suffix ? this.#suffixes : this.#prefixes;
    const key = kind === HostKind.Suffix ? value.split('').reverse().join('') : value;
    let section = map.get(key);
    if (section === undefined) map.set(key, (section = this.#newSection()));
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
}
