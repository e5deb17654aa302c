// One compiled matcher per route path (Kong's traditional_compatible router splits a route with several
// paths, kong/router/transform.lua `split_routes_and_services_by_path`). Everything a request is tested
// against is precomputed here: lower-cased hosts split into exact/suffix/prefix + port, compiled regexes,
// lower-cased header values. Testing a request allocates nothing.
import { ArchwayError, ErrorCodes, type Route, type Service } from '@archway/schema';
import { normalizePath } from './normalize-path';
import { regexLiteralPrefix } from './regex-prefix';

export enum HostKind {
  Exact,
  /** `*.example.com`: the request host ends with `.example.com` */
  Suffix,
  /** `example.*`: the request host starts with `example.` */
  Prefix,
}

export interface HostCondition {
  kind: HostKind;
  /** lower-cased; for wildcards the part without `*` (`.example.com`, `example.`) */
  value: string;
  /** the port the Host header must carry, or -1 for any */
  port: number;
}

/** A route `snis` entry: exact, `*.example.com` (ends with `.example.com`) or `example.*` (starts with `example.`). */
export interface SniCondition {
  kind: HostKind;
  /** lower-cased, without the trailing dot of a fully qualified name; for wildcards the part without `*` */
  value: string;
}

export interface HeaderCondition {
  /** lower-case, as node:http keys headers */
  name: string;
  /** accepted values, lower-cased (OR); null when `regex` is set */
  values: string[] | null;
  /** a single `~*` value: case-insensitive, unanchored, like Kong's `~` on lower-cased values */
  regex: RegExp | null;
}

/** The priority fields of kong/router/transform.lua `get_priority`, most significant first. */
export interface Priority {
  /** how many of methods, hosts, headers, snis, paths are set */
  weight: number;
  /** hosts set and none of them a wildcard */
  plainHosts: boolean;
  /** number of header keys (Kong caps it at 255) */
  headerCount: number;
  regex: boolean;
  /** the route's regex_priority, counted only for a regex path */
  regexPriority: number;
  /** length of the prefix path as configured (0 for regex or no path) */
  prefixLength: number;
}

const MAX_HEADER_COUNT = 255;

const isSet = (v: unknown[] | Record<string, unknown> | null | undefined): boolean =>
  v != null && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);

function uncompilable(route: Route, field: string, message: string): ArchwayError {
  return new ArchwayError(
    ErrorCodes.SCHEMA_VIOLATION,
    `route '${route.name ?? route.id}' cannot be compiled: ${field}: ${message}; fix or remove it`,
    { route: { id: route.id }, [field]: message },
  );
}

export function compileHost(entry: string): HostCondition {
  // Kong splits at the first ':' and only treats the rest as a port when it is a number.
  let name = entry.toLowerCase();
  let port = -1;
  const colon = name.indexOf(':');
  if (colon !== -1 && /^\d+$/.test(name.slice(colon + 1))) {
    port = Number(name.slice(colon + 1));
    name = name.slice(0, colon);
  }
  if (name.startsWith('*')) return { kind: HostKind.Suffix, value: name.slice(1), port };
  if (name.endsWith('*')) return { kind: HostKind.Prefix, value: name.slice(0, -1), port };
  return { kind: HostKind.Exact, value: name, port };
}

function compileRegex(route: Route, field: string, source: string, flags: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw uncompilable(route, field, `invalid regex: '${source}' (${(err as Error).message})`);
  }
}

function compileHeaders(route: Route): HeaderCondition[] | null {
  if (!route.headers || !isSet(route.headers)) return null;
  return Object.entries(route.headers).map(([key, values]) => {
    // nginx looks headers up with `_` and `-` alike; node:http keeps the name as sent, lower-cased.
    const name = key.toLowerCase().replace(/_/g, '-');
    if (values.length === 1 && values[0].startsWith('~*'))
      return { name, values: null, regex: compileRegex(route, 'headers', values[0].slice(2), 'i') };
    return { name, values: values.map((v) => v.toLowerCase()), regex: null };
  });
}

export class Matcher {
  /** position in the global priority order; lower is tried first. Set once by the router. */
  rank = 0;

  constructor(
    readonly route: Route,
    readonly service: Service,
    readonly methods: readonly string[] | null,
    readonly hosts: readonly HostCondition[] | null,
    readonly headers: readonly HeaderCondition[] | null,
    /** normalised prefix path, or null for a regex path or no path */
    readonly prefix: string | null,
    /** `^`-anchored path regex, or null */
    readonly regex: RegExp | null,
    readonly priority: Priority,
    /** index of the path within the route, a last tie-break */
    readonly pathIndex: number,
    readonly snis: readonly SniCondition[] | null = null,
    /**
     * Text every path this matcher accepts starts with: the prefix, or a regex's literal prefix
     * (regex-prefix.ts); '' when unknown or there is no path. The path trie indexes the matcher by it.
     */
    readonly pathKey: string = prefix ?? '',
  ) {
    this.prefixLength = prefix === null ? 1 : prefix.length;
    this.anyPort = hosts !== null && hosts.every((h) => h.port === -1);
    this.stripPath = route.strip_path;
    this.servicePath = service.path ?? null;
  }

  // Copies of what a match reads, so it reads them from the matcher it already holds (at 10,000 routes
  // every other object a match touches is likely out of the CPU caches).
  /** how much of the path a match on the prefix strips (1 without a prefix) */
  readonly prefixLength: number;
  /** hosts are set and none names a port: found under the request's exact host, the host matches */
  readonly anyPort: boolean;
  readonly stripPath: boolean;
  readonly servicePath: string | null;

  /**
   * A new matcher with the same compiled conditions (regexes, hosts, headers are shared: matching does
   * not change them), for another router: each router ranks its own matchers, so a router being built
   * never re-ranks the matchers of the one serving.
   */
  copy(): Matcher {
    return new Matcher(this.route, this.service, this.methods, this.hosts, this.headers, this.prefix, this.regex, this.priority, this.pathIndex, this.snis, this.pathKey);
  }

  /** Whether every hosts entry is exact, so the matcher can live in the exact-host table. */
  get exactHostsOnly(): boolean {
    return this.hosts !== null && this.hosts.every((h) => h.kind === HostKind.Exact);
  }

  matchesMethod(method: string): boolean {
    const methods = this.methods;
    if (methods === null) return true;
    for (let i = 0; i < methods.length; i++) if (methods[i] === method) return true;
    return false;
  }

  /** `host` lower-cased without port ('' when absent), `port` -1 when the Host header has none. */
  matchesHost(host: string, port: number): boolean {
    const hosts = this.hosts;
    if (hosts === null) return true;
    for (let i = 0; i < hosts.length; i++) {
      const h = hosts[i];
      if (h.port !== -1 && h.port !== port) continue;
      if (h.kind === HostKind.Exact ? host === h.value : h.kind === HostKind.Suffix ? host.endsWith(h.value) : host.startsWith(h.value))
        return true;
    }
    return false;
  }

  /** `sni` as the client sent it; a request without one matches no route that sets snis. */
  matchesSni(sni: string | undefined): boolean {
    const snis = this.snis;
    if (snis === null) return true;
    if (sni === undefined || sni === '') return false;
    const name = normalizeSni(sni);
    for (let i = 0; i < snis.length; i++) {
      const s = snis[i];
      if (s.kind === HostKind.Exact ? name === s.value : s.kind === HostKind.Suffix ? name.endsWith(s.value) : name.startsWith(s.value))
        return true;
    }
    return false;
  }

  matchesHeaders(headers: Record<string, string | string[] | undefined>): boolean {
    const conds = this.headers;
    if (conds === null) return true;
    for (let i = 0; i < conds.length; i++) {
      const value = headers[conds[i].name];
      if (value === undefined) return false;
      if (typeof value === 'string') {
        if (!headerValueMatches(conds[i], value)) return false;
        continue;
      }
      let any = false;
      for (let j = 0; j < value.length && !any; j++) any = headerValueMatches(conds[i], value[j]);
      if (!any) return false;
    }
    return true;
  }
}

function headerValueMatches(cond: HeaderCondition, value: string): boolean {
  if (cond.regex !== null) return cond.regex.test(value);
  const values = cond.values as string[];
  for (let i = 0; i < values.length; i++) if (equalsLowerCase(value, values[i])) return true;
  return false;
}

/** `value` equals the lower-case `lower`, ignoring ASCII case, without allocating a lower-cased copy. */
function equalsLowerCase(value: string, lower: string): boolean {
  if (value.length !== lower.length) return false;
  for (let i = 0; i < value.length; i++) {
    let c = value.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lower.charCodeAt(i)) {
      // non-ASCII letters: fall back to the full Unicode comparison
      if (c < 128) return false;
      return value.toLowerCase() === lower;
    }
  }
  return true;
}

function normalizeSni(name: string): string {
  const lower = name.toLowerCase();
  return lower.length > 1 && lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Kong's sni_op_transform / sni_val_transform (kong/router/transform.lua). */
export function compileSni(entry: string): SniCondition {
  if (entry.startsWith('*')) return { kind: HostKind.Suffix, value: normalizeSni(entry.slice(1)) };
  if (entry.length > 1 && entry.endsWith('*')) return { kind: HostKind.Prefix, value: entry.slice(0, -1).toLowerCase() };
  return { kind: HostKind.Exact, value: normalizeSni(entry) };
}

/** Compiles one route (whose service is resolved and enabled) into one matcher per path. */
export function compileRoute(route: Route, service: Service): Matcher[] {
  const methods = isSet(route.methods) ? (route.methods as string[]) : null;
  const hosts = isSet(route.hosts) ? (route.hosts as string[]).map(compileHost) : null;
  const headers = compileHeaders(route);
  const snis = isSet(route.snis) ? (route.snis as string[]).map(compileSni) : null;
  const paths = isSet(route.paths) ? (route.paths as string[]) : [null];
  const headerCount = headers ? Math.min(headers.length, MAX_HEADER_COUNT) : 0;
  const weight =
    (methods ? 1 : 0) + (hosts ? 1 : 0) + (headers ? 1 : 0) + (isSet(route.snis) ? 1 : 0) + (paths[0] !== null ? 1 : 0);
  const plainHosts = hosts !== null && (route.hosts as string[]).every((h) => !h.includes('*'));

  return paths.map((path, index) => {
    const regex = path !== null && path.startsWith('~');
    const priority: Priority = {
      weight,
      plainHosts,
      headerCount,
      regex,
      regexPriority: regex ? route.regex_priority : 0,
      prefixLength: path !== null && !regex ? path.length : 0,
    };
    // Kong anchors a regex path by prefixing `^` (kong/router/transform.lua `path_val_transform`).
    const re = regex ? compileRegex(route, 'paths', `^${(path as string).slice(1)}`, '') : null;
    const prefix = path !== null && !regex ? normalizePath(path) : null;
    const pathKey = regex ? regexLiteralPrefix((path as string).slice(1)) : (prefix ?? '');
    return new Matcher(route, service, methods, hosts, headers, prefix, re, priority, index, snis, pathKey);
  });
}

/** Higher priority first; then older route, then id and path order so the order is deterministic. */
export function compareMatchers(a: Matcher, b: Matcher): number {
  const p = a.priority;
  const q = b.priority;
  return (
    q.weight - p.weight ||
    Number(q.plainHosts) - Number(p.plainHosts) ||
    q.headerCount - p.headerCount ||
    Number(q.regex) - Number(p.regex) ||
    q.regexPriority - p.regexPriority ||
    q.prefixLength - p.prefixLength ||
    a.route.created_at - b.route.created_at ||
    (a.route.id < b.route.id ? -1 : a.route.id > b.route.id ? 1 : 0) ||
    a.pathIndex - b.pathIndex
  );
}
