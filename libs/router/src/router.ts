// compileRouter: routes + services -> a Router whose `match` picks the route Kong 3.x's
// traditional_compatible router would pick. Compilation does all the config-dependent work; `match`
// normalises the path, splits the Host header, and searches only the sections (route-index.ts) its host
// and headers lead to, then the any-host one; in each it walks the path trie (section.ts) along the
// path, keeping the best-ranked matcher that satisfies every field it sets. Sections and trie lists are
// in rank order, so a search stops as soon as nothing left can beat the best match so far.
import { type Route, type Service, type Steps, foreignKeyViolation, runSteps, sortSteps } from '@archway/schema';
import { Matcher, compareMatchers, compileRoute } from './matcher';
import { escapePath, normalizePath } from './normalize-path';
import type { PackedTrie } from './packed-trie';
import { type HeaderSections, RouteIndex } from './route-index';
import type { Section } from './section';
import { upstreamPathV0 } from './upstream-path';

export interface RouterRequest {
  /** upper-case, as node:http gives it */
  method: string;
  /** the Host header as sent (may carry :port) */
  host: string | undefined;
  /** raw request path, no query string */
  path: string;
  /** node:http's lower-cased headers; pass `req.headersDistinct` to match repeated headers one by one */
  headers: Record<string, string | string[] | undefined>;
  /** 'https' when the request came over TLS; default 'http' */
  scheme?: 'http' | 'https';
  /** the TLS server name the client sent (https only); routes' `snis` are checked against it */
  sni?: string;
}

export interface RouteMatch {
  route: Route;
  /** resolved; routes without a service, or whose service has enabled=false, never match */
  service: Service;
  /** the path to send upstream (strip_path + v0 joining with service.path), percent-encoded */
  upstreamPath: string;
}

export interface Router {
  match(req: RouterRequest): RouteMatch | null;
  /** how many routes can match (routes skipped at compile time are not counted) */
  readonly size: number;
}

const HTTP_PROTOCOLS = new Set(['http', 'https', 'grpc', 'grpcs', 'ws', 'wss']);

const hasEntries = (v: unknown[] | null | undefined) => v != null && v.length > 0;

/**
 * Which routes this (HTTP) router serves: routes for a stream protocol belong to a stream router, and
 * `sources`/`destinations` need the client and server addresses, which RouterRequest does not carry;
 * rather than match such a route for every client, it is left out (it answers 404).
 */
function servedHere(route: Route): boolean {
  return route.protocols.some((p) => HTTP_PROTOCOLS.has(p)) && !hasEntries(route.sources) && !hasEntries(route.destinations);
}

class CompiledRouter implements Router {
  readonly #index: RouteIndex;
  // Scratch state for the match in progress: `match` is synchronous, so one set per router is enough.
  #host = '';
  #port = -1;
  #best: Matcher | null = null;
  #bestLength = 1;

  constructor(
    index: RouteIndex,
    readonly size: number,
  ) {
    this.#index = index;
  }

  match(req: RouterRequest): RouteMatch | null {
    const path = normalizePath(req.path);
    this.#splitHost(req.host);
    this.#best = null;
    this.#bestLength = 1;
    const index = this.#index;
    const host = this.#host;
    if (host !== '') {
      if (index.byHost.size > 0) {
        const section = index.byHost.get(host);
        if (section !== undefined) this.#search(section, req, path);
      }
      this.#searchWildcards(index.wildcards, index.suffixRoot, true, req, path);
      this.#searchWildcards(index.wildcards, index.prefixRoot, false, req, path);
    }
    const byHeader = index.byHeader;
    for (let i = 0; i < byHeader.length; i++) this.#searchHeader(byHeader[i], req, path);
    this.#search(index.anyHost, req, path);

    const best = this.#best as Matcher | null; // set by #search (TS cannot see it)
    if (best === null) return null;
    this.#best = null;
    const joined = upstreamPathV0(best.servicePath, best.stripPath, this.#bestLength, path);
    return { route: best.route, service: best.service, upstreamPath: escapePath(joined) };
  }

  /** Kong's split_host_port: the part after the first ':' is a port only when it is a number. */
  #splitHost(raw: string | undefined): void {
    this.#port = -1;
    if (raw === undefined || raw === '') {
      this.#host = '';
      return;
    }
    let end = raw.length;
    const colon = raw.indexOf(':');
    if (colon !== -1 && colon + 1 < raw.length) {
      let port = 0;
      let i = colon + 1;
      for (; i < raw.length; i++) {
        const d = raw.charCodeAt(i) - 0x30;
        if (d < 0 || d > 9) break;
        port = port * 10 + d;
      }
      if (i === raw.length) {
        this.#port = port;
        end = colon;
      }
    }
    let upper = false;
    for (let i = 0; i < end && !upper; i++) {
      const c = raw.charCodeAt(i);
      upper = c >= 0x41 && c <= 0x5a;
    }
    const host = end === raw.length ? raw : raw.slice(0, end);
    this.#host = upper ? host.toLowerCase() : host;
  }

  /** Searches the section of every wildcard the host ends with (`reversed`) or starts with. */
  #searchWildcards(trie: PackedTrie<Section>, root: number, reversed: boolean, req: RouterRequest, path: string): void {
    const host = this.#host;
    let n = root;
    let i = 0;
    for (;;) {
      if (!trie.labelAt(n, host, i, reversed)) return;
      i += trie.labelLength(n);
      const section = trie.valueAt(n);
      if (section !== null) this.#search(section, req, path);
      if (i >= host.length) return;
      n = trie.child(n, host.charCodeAt(reversed ? host.length - 1 - i : i));
      if (n < 0) return;
      i++;
    }
  }

  /** Searches the section of the request's value(s) of one indexed header. */
  #searchHeader(entry: HeaderSections, req: RouterRequest, path: string): void {
    const value = req.headers[entry.name];
    if (value === undefined) return;
    if (typeof value === 'string') {
      const section = entry.byValue.get(lowerCased(value));
      if (section !== undefined) this.#search(section, req, path);
      return;
    }
    for (let i = 0; i < value.length; i++) {
      const section = entry.byValue.get(lowerCased(value[i]));
      if (section !== undefined) this.#search(section, req, path);
    }
  }

  /** Walks the section's path trie along `path`, trying the matchers of every node on the way. */
  #search(section: Section, req: RouterRequest, path: string): void {
    if (this.#best !== null && section.minRank >= this.#best.rank) return;
    const trie = section.trie;
    const hostKnown = section.exactHost;
    let n = section.root;
    let i = 0;
    for (;;) {
      if (!trie.labelAt(n, path, i, false)) return;
      i += trie.labelLength(n);
      const list = trie.valueAt(n);
      if (list !== null) this.#tryList(list, hostKnown, req, path);
      if (i >= path.length) return;
      n = trie.child(n, path.charCodeAt(i));
      if (n < 0) return;
      i++;
    }
  }

  /** `list` is in rank order: stop at the first match, or at a matcher that cannot beat the best so far. */
  #tryList(list: Matcher[], hostKnown: boolean, req: RouterRequest, path: string): void {
    for (let j = 0; j < list.length; j++) {
      if (this.#best !== null && list[j].rank >= this.#best.rank) return;
      if (this.#accept(list[j], hostKnown, req, path)) return;
    }
  }

  /**
   * Tests every field but the prefix (the trie already matched it); records the match when it passes.
   * `hostKnown`: `m` was found under the request's exact host, so only a port could still fail it.
   */
  #accept(m: Matcher, hostKnown: boolean, req: RouterRequest, path: string): boolean {
    if (!m.matchesMethod(req.method)) return false;
    if (!(hostKnown && m.anyPort) && !m.matchesHost(this.#host, this.#port)) return false;
    if (!m.matchesHeaders(req.headers)) return false;
    // Kong (#6425): a route's snis only count for https requests; plain http ignores them
    if (m.snis !== null && req.scheme === 'https' && !m.matchesSni(req.sni)) return false;
    let length = m.prefixLength;
    if (m.regex !== null) {
      const found = m.regex.exec(path);
      if (found === null) return false;
      // Kong strips by the length of the match (kong/router/atc.lua `set_upstream_uri`)
      length = found[0].length;
    }
    this.#best = m;
    this.#bestLength = length;
    return true;
  }
}

/** `value` lower-cased, without allocating when it already is (the common case). */
function lowerCased(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || c >= 0x80) return value.toLowerCase();
  }
  return value;
}

/**
 * Compiles routes into a Router. Routes without a service, with a disabled service, for stream
 * protocols only, or with sources/destinations are left out. Throws an ArchwayError (a schema or
 * foreign-key violation naming the route) when a regex does not compile or a service is missing.
 */
export function compileRouter(routes: Route[], services: Service[]): Router {
  return runSteps(compileRouterSteps(routes, services));
}

/** Ranks of a full compile are this far apart, so a delta's new matchers fit between them. */
const RANK_GAP = 1024;

/** A delta is applied to the previous router when it changes at most this share of its matchers. */
const INCREMENTAL_SHARE = 1 / 8;

/** What the last compile with a cache built, for the next one to start from. */
interface LastBuild {
  /** route object -> its service and its matchers in that build (ranked); `mark`: seen by the compile of that generation */
  routes: Map<Route, { service: Service; matchers: Matcher[]; mark: number }>;
  generation: number;
  /** every matcher of that build, in rank order */
  ranked: Matcher[];
  index: RouteIndex;
  /** the arrays it was built from */
  from: { routes: readonly Route[]; services: readonly Service[] };
}

/**
 * How `routes` differ from the routes array `from` (objects added, objects removed), when the caller
 * knows it already (a data plane tracks it per compile): the router then skips looking at every route.
 */
export interface RouteChangesSince {
  from: readonly Route[];
  added: readonly Route[];
  removed: readonly Route[];
}

/**
 * What one compile leaves for the next (a data plane passes the same cache to every compile): the
 * matchers compiled for each route object, and the last router built. A route object compiled before
 * with the same service object is not compiled again (its regexes, hosts, headers are reused; see
 * Matcher.copy). When the routes changed little since the last build (a delta: the unchanged routes
 * are the same objects), that build's ranking and index are updated instead of built again: matchers of
 * kept routes keep their rank (ranks are spaced apart, a new matcher takes one between its neighbours';
 * where they leave none, a few around it are respaced), and only the index sections the changed
 * matchers are filed under are packed again.
 */
export class RouteMatcherCache {
  readonly #byRoute = new WeakMap<Route, { service: Service; matchers: Matcher[] }>();
  /** set at the end of each compile; null until the first */
  last: LastBuild | null = null;
  /** routes compiled / reused by the last compile (for benches and specs) */
  compiled = 0;
  reused = 0;
  /** whether the last compile updated the previous router instead of building one */
  incremental = false;

  matchersOf(route: Route, service: Service): Matcher[] {
    const hit = this.#byRoute.get(route);
    if (hit !== undefined && hit.service === service) {
      this.reused++;
      return hit.matchers.map((m) => m.copy());
    }
    this.compiled++;
    const matchers = compileRoute(route, service);
    this.#byRoute.set(route, { service, matchers });
    return matchers;
  }
}

/** compileRouter, one route per step (see @archway/schema's steps.ts); `cache` carries compiled routes across compiles. */
export function* compileRouterSteps(routes: Route[], services: Service[], cache?: RouteMatcherCache, changes?: RouteChangesSince | null): Steps<Router> {
  const servicesById = new Map(services.map((s) => [s.id, s]));
  if (cache) {
    cache.compiled = cache.reused = 0;
    cache.incremental = false;
    if (cache.last !== null) {
      const last = cache.last;
      const known = changes && last.from.routes === changes.from && last.from.services === services ? changes : null;
      const router = yield* updateRouterSteps(routes, services, servicesById, cache, last, known);
      if (router !== null) return router;
      cache.compiled = cache.reused = 0;
    }
  }
  const matchers: Matcher[] = [];
  const live = cache ? new Map<Route, { service: Service; matchers: Matcher[]; mark: number }>() : null;
  let size = 0;
  for (const route of routes) {
    const service = routeService(route, servicesById);
    if (service === null) continue;
    const reused = cache?.reused ?? 0;
    const compiled = cache ? cache.matchersOf(route, service) : compileRoute(route, service);
    for (const m of compiled) matchers.push(m);
    live?.set(route, { service, matchers: compiled, mark: 0 });
    size++;
    // a compiled route is a step; a reused one costs a copy: one step per 64 of those
    if (!cache || cache.reused === reused || cache.reused % 64 === 0) yield;
  }
  const ranked = yield* sortSteps(matchers, compareMatchers);
  const index = new RouteIndex();
  for (let rank = 0; rank < ranked.length; rank++) {
    ranked[rank].rank = rank * RANK_GAP;
    index.add(ranked[rank]);
    yield;
  }
  yield* index.freezeSteps();
  if (cache && live) cache.last = { routes: live, generation: 0, ranked, index, from: { routes, services } };
  return new CompiledRouter(index, size);
}

/** The service `route` is served with here, or null when the router leaves it out (see compileRouter). */
function routeService(route: Route, servicesById: ReadonlyMap<string, Service>): Service | null {
  if (!servedHere(route) || route.service === null) return null;
  const service = servicesById.get(route.service.id);
  if (service === undefined) throw foreignKeyViolation('service', { id: route.service.id }, 'services');
  return service.enabled === false ? null : service;
}

/** Index in `ranked` (rank order) where `m` goes. */
function insertionPoint(ranked: readonly Matcher[], m: Matcher): number {
  let lo = 0;
  let hi = ranked.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareMatchers(ranked[mid], m) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A rank between the matchers around position `at` of `ranked`, or null when theirs leave none. */
function freeRank(ranked: readonly Matcher[], at: number): number | null {
  if (ranked.length === 0) return 0;
  // past either end there is always room
  const before = at > 0 ? ranked[at - 1].rank : ranked[0].rank - 2 * RANK_GAP;
  const after = at < ranked.length ? ranked[at].rank : before + 2 * RANK_GAP;
  const rank = before + (after - before) / 2;
  return rank > before && rank < after ? rank : null;
}

/** The least gap a respacing leaves between the ranks it spreads. */
const RESPACED_GAP = RANK_GAP / 8;

/**
 * Makes room at position `at` of `ranked`: new matchers filed one after another at the same place (routes
 * added over time with like paths) halve the gap there each time, and a double runs out of halvings
 * after about 40. The matchers around `at` — the fewest whose outer neighbours leave a gap of at least
 * RESPACED_GAP between each — get ranks spread evenly between those neighbours. The router serving reads
 * the same matcher objects, so a matcher of its gets a copy with the new rank (`respaced`: original →
 * copy; the caller swaps them in the index) while one of this build (`placed`) is re-ranked as it is.
 * False when that would respace more than `most` matchers: the caller then builds the router anew.
 */
function respace(ranked: Matcher[], at: number, placed: Set<Matcher>, respaced: Map<Matcher, Matcher>, most: number): boolean {
  for (let width = 1; ; width *= 2) {
    const lo = Math.max(0, at - width);
    const hi = Math.min(ranked.length, at + width);
    const count = hi - lo;
    if (count > most) return false;
    let first: number;
    let gap = RANK_GAP;
    if (lo === 0 && hi === ranked.length) first = 0;
    else if (lo === 0) first = ranked[hi].rank - count * RANK_GAP;
    else if (hi === ranked.length) first = ranked[lo - 1].rank + RANK_GAP;
    else {
      gap = (ranked[hi].rank - ranked[lo - 1].rank) / (count + 1);
      if (gap < RESPACED_GAP) continue;
      first = ranked[lo - 1].rank + gap;
    }
    for (let i = 0; i < count; i++) {
      let m = ranked[lo + i];
      if (!placed.has(m)) {
        const copy = m.copy();
        respaced.set(m, copy);
        placed.add(copy);
        ranked[lo + i] = m = copy;
      }
      m.rank = first + i * gap;
    }
    return true;
  }
}

/** Index of `m` in `ranked` (rank order), found by its rank. */
function positionOf(ranked: readonly Matcher[], m: Matcher): number {
  let lo = 0;
  let hi = ranked.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranked[mid].rank < m.rank) lo = mid + 1;
    else hi = mid;
  }
  return ranked[lo] === m ? lo : ranked.indexOf(m);
}

/**
 * The router for `routes` made from `last` by taking out the matchers of the routes gone or changed and
 * putting in those of the new ones; null (nothing changed in `cache`) when too much changed for that to
 * pay, or a new matcher finds no free rank between its neighbours: the caller then builds it anew.
 */
function* updateRouterSteps(
  routes: readonly Route[],
  services: readonly Service[],
  servicesById: ReadonlyMap<string, Service>,
  cache: RouteMatcherCache,
  last: LastBuild,
  known: RouteChangesSince | null,
): Steps<Router | null> {
  const added: { route: Route; service: Service; matchers: Matcher[] }[] = [];
  const limit = Math.max(64, last.ranked.length * INCREMENTAL_SHARE);
  const mark = ++last.generation;
  let addedCount = 0;
  let kept = 0;
  let size = 0;
  const removed: Matcher[] = [];
  if (known !== null) {
    // the services are the same objects and the route changes are known: only those are looked at
    if (known.added.length + known.removed.length > limit) return null;
    let gone = 0;
    for (const route of known.removed) {
      const entry = last.routes.get(route);
      if (entry === undefined) continue;
      gone++;
      for (const m of entry.matchers) removed.push(m);
    }
    for (const route of known.added) {
      const service = routeService(route, servicesById);
      if (service === null) continue;
      const matchers = cache.matchersOf(route, service);
      added.push({ route, service, matchers });
      addedCount += matchers.length;
    }
    kept = last.routes.size - gone;
    size = kept + added.length;
  } else {
    for (let i = 0; i < routes.length; i++) {
      const route = routes[i];
      const prev = last.routes.get(route);
      if (prev !== undefined && prev.service === servicesById.get(prev.service.id)) {
        // the same route object and the same service object: the same matchers, ranked as they were
        prev.mark = mark;
        kept++;
        size++;
      } else {
        const service = routeService(route, servicesById);
        if (service !== null) {
          const matchers = cache.matchersOf(route, service);
          added.push({ route, service, matchers });
          addedCount += matchers.length;
          size++;
          if (addedCount > limit) return null;
        }
      }
      if (i % 256 === 255) yield;
    }
    if (kept !== last.routes.size) for (const entry of last.routes.values()) if (entry.mark !== mark) for (const m of entry.matchers) removed.push(m);
  }
  if (removed.length + addedCount > limit) return null;
  yield;
  // the ranking without the removed matchers, then each new one between its neighbours
  const ranked = last.ranked.slice();
  for (const m of removed) ranked.splice(positionOf(ranked, m), 1);
  const fresh = added.flatMap((a) => a.matchers).sort(compareMatchers);
  const placed = new Set<Matcher>(fresh);
  const respaced = new Map<Matcher, Matcher>();
  for (const m of fresh) {
    const at = insertionPoint(ranked, m);
    let rank = freeRank(ranked, at);
    if (rank === null) {
      if (!respace(ranked, at, placed, respaced, limit - removed.length - addedCount)) return null;
      rank = freeRank(ranked, at) as number;
    }
    m.rank = rank;
    ranked.splice(at, 0, m);
  }
  yield;
  // a respaced matcher leaves the index as itself and comes back as its copy
  const out = respaced.size === 0 ? removed : [...removed, ...respaced.keys()];
  const into = respaced.size === 0 ? fresh : [...fresh, ...respaced.values()];
  const index = yield* last.index.updatedSteps(out, into);
  // nothing above changed `last`: now it becomes this build
  for (const m of removed) last.routes.delete(m.route);
  for (const a of added) last.routes.set(a.route, { service: a.service, matchers: a.matchers, mark });
  for (const [m, copy] of respaced) {
    const entry = last.routes.get(m.route) as { matchers: Matcher[] };
    entry.matchers = entry.matchers.map((x) => (x === m ? copy : x));
  }
  last.ranked = ranked;
  last.index = index;
  last.from = { routes, services };
  cache.reused += kept;
  cache.incremental = true;
  return new CompiledRouter(index, size);
}
