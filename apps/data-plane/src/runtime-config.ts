// Compiles a checked snapshot (snapshot-check.ts) into everything per-request code needs: a compiled
// router, plugin chains and, per service, the upstream origin, Host header, timeouts and connection
// pool. Nothing here runs per request; a snapshot that fails any step throws (the sync client NACKs it).
// The work is a Steps generator, one route or plugin per step, so the config store can run it in time
// slices between requests (time-slices.ts).
import { compileChainsSteps, ConfigIndexCache, type ChainSet, type NodeState, type PluginHandler } from '@archway/pipeline';
import { BUNDLED_HANDLERS, pluginSchema } from '@archway/plugins';
import { compileRouterSteps, RouteMatcherCache, type Router } from '@archway/router';
import { forEachInSteps, runSteps, type ConfigSet, type PluginLookup, type Route, type Service, type Snapshot, type Steps } from '@archway/schema';
import type { Logger } from '@archway/telemetry';
import type { Pool } from 'undici';
import { closeBalancers, compileBalancers, ServiceBalancer, upstreamsByName, type Balancers, type BalancingOptions } from './balancers';
import { compileHttpsOnly, updateHttpsOnly } from './https-redirect';
import { compileSniCertificates, type SniCertificates } from './sni-certificates';
import { ProxyMetrics } from './proxy-metrics';
import type { RouteChanges, RouteMetrics } from './route-metrics';
import { changesOf } from './snapshot-changes';
import { checkSnapshotSteps, ConfigRejectedError, type CheckedSnapshot } from './snapshot-check';
import { poolKey, UpstreamPools, type PoolSpec } from './upstream-pools';
import { upstreamTlsResolver, type UpstreamTls } from './upstream-tls';

export interface Upstream {
  readonly serviceId: string;
  /** 'http://host:port' */
  readonly origin: string;
  /** Host sent upstream unless the route preserves the client's: host, plus :port when not the scheme's default */
  readonly hostHeader: string;
  /** null when the service is balanced: each attempt takes the pool of the peer `balancer` picks */
  readonly pool: Pool | null;
  /** set when service.host names an upstream (Kong's rule): requests are balanced over its targets */
  readonly balancer: ServiceBalancer | null;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  readonly retries: number;
  /** https services: verification, CAs, client certificate (null for http) */
  readonly tls: UpstreamTls | null;
}

/** What the TLS listener and the protocol checks need, compiled per snapshot. */
export interface TlsRuntime {
  /** server certificates by SNI */
  readonly certificates: SniCertificates;
  /** route id -> https_redirect_status_code for https-only routes (plain requests get 426 or a redirect) */
  readonly httpsOnly: ReadonlyMap<string, number>;
}

export interface RuntimeConfig {
  readonly version: number;
  readonly hash: string;
  /** the validated config, every collection (consumers, plugins, upstreams, ... are not compiled yet) */
  readonly config: ConfigSet;
  readonly router: Router;
  /** per route: the plugins a request runs, compiled (configured once per snapshot) */
  readonly chains: ChainSet;
  /** service id -> how to reach it; a service absent here cannot be proxied (503) */
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly poolKeys: ReadonlySet<string>;
  readonly pools: UpstreamPools;
  readonly tls: TlsRuntime;
  /** upstream id -> balancer (health checks, circuit breakers, DNS); the status port reads their health */
  readonly balancers: Balancers;
  /** per route: its metric series, label values resolved (the proxy records each request there) */
  readonly routeMetrics: RouteMetrics;
}

/** compileRuntime's balancer options; `previous` is the runtime being replaced (its state carries over). */
export interface RuntimeBalancing extends BalancingOptions {
  previous?: RuntimeConfig | null;
}

/** The plugins a data plane can run: handlers by name, and the schemas their configs are checked with. */
export interface PluginSet {
  readonly handlers: ReadonlyMap<string, PluginHandler>;
  readonly schemas: PluginLookup;
  /** state the plugins share with the node's other processes (proxy workers); null/absent: one process */
  readonly node?: NodeState | null;
}

/** What every data plane runs; specs (and embedders) may pass a set with plugins of their own. */
export const BUNDLED_PLUGIN_SET: PluginSet = { handlers: BUNDLED_HANDLERS, schemas: pluginSchema };

export { ConfigRejectedError };

/**
 * What one compile keeps for the next (a data plane passes the same one to every compile): after a
 * delta the unchanged entities and collections are the same objects, and what was compiled from them
 * is reused instead of compiled again.
 */
export class CompileCache {
  /** matchers by route object */
  readonly routes = new RouteMatcherCache();
  /** plugins' config-derived indexes (consumers, credentials) by the collections they were built from */
  readonly indexes = new ConfigIndexCache();
  /** the route objects of the last compile */
  readonly #routes = new Set<Route>();
  /** the routes array of the last compile */
  #from: readonly Route[] | null = null;
  /** what the last compile built per route, for the next to change rather than build again */
  last: { httpsOnly: ReadonlyMap<string, number>; routeMetrics: RouteMetrics } | null = null;

  /**
   * The routes added (objects the last compile did not have) and removed since the last compile, or
   * null after none; one step per few hundred routes, none when `delta` (the routes the delta that made
   * this config added and removed) starts from the last compile's routes. Nothing is remembered until
   * `commit` (the compile succeeded) is called.
   */
  *routeChangesSteps(
    routes: readonly Route[],
    delta?: RouteChanges & { from: readonly Route[] },
  ): Steps<{ changes: (RouteChanges & { from: readonly Route[] }) | null; commit(last: NonNullable<CompileCache['last']>): void }> {
    const known = this.#routes;
    let added: readonly Route[] = [];
    let removed: readonly Route[] = [];
    if (delta && delta.from === this.#from) ({ added, removed } = delta);
    else {
      const fresh: Route[] = (added = []);
      yield* forEachInSteps(
        routes,
        (r) => {
          if (!known.has(r)) fresh.push(r);
        },
        ROUTES_PER_STEP,
      );
      // routes are distinct objects: some are gone exactly when fewer than all known ones are still here
      if (routes.length - added.length !== known.size) {
        const now = new Set(routes);
        yield;
        const gone: Route[] = (removed = []);
        for (const r of known) if (!now.has(r)) gone.push(r);
      }
    }
    const first = this.last === null;
    return {
      changes: first || this.#from === null ? null : { from: this.#from, added, removed },
      commit: (last) => {
        this.#from = routes;
        for (const r of removed) known.delete(r);
        for (const r of added) known.add(r);
        this.last = last;
      },
    };
  }
}

/** Routes looked at between two steps of routeChangesSteps (a pass over 10,000 is longer than a time slice). */
const ROUTES_PER_STEP = 1024;

/** Protocols the proxy can speak to today; services with others get 503 until supported. */
const PROXIED_PROTOCOLS = new Set(['http', 'https', 'ws', 'wss']);

/** ws/wss services are reached over http/https (the upgrade is a request like any other) */
const ORIGIN_SCHEME: Record<string, string> = { http: 'http', https: 'https', ws: 'http', wss: 'https' };

function hostWithPort(host: string, port: number, defaultPort: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === defaultPort ? h : `${h}:${port}`;
}

function poolSpecFor(service: Service, tlsOf: (s: Service) => UpstreamTls | null): PoolSpec | null {
  if (!service.enabled || !PROXIED_PROTOCOLS.has(service.protocol)) return null;
  const host = service.host.includes(':') ? `[${service.host}]` : service.host;
  return {
    origin: `${ORIGIN_SCHEME[service.protocol]}://${host}:${service.port}`,
    connectTimeout: service.connect_timeout,
    tlsVerify: service.tls_verify === true,
    tls: tlsOf(service),
  };
}

function buildUpstreams(config: ConfigSet, pools: UpstreamPools, tlsOf: (s: Service) => UpstreamTls | null, balancers: Balancers) {
  const services = config.services;
  const byName = upstreamsByName(config);
  const specs: [Service, PoolSpec][] = [];
  for (const s of services) {
    const spec = poolSpecFor(s, tlsOf);
    if (spec) specs.push([s, spec]);
  }
  const upstreams = new Map<string, Upstream>();
  const poolKeys = new Set<string>();
  for (const [s, spec] of specs) {
    const balancer = balancers.get(byName.get(s.host)?.id ?? '');
    if (!balancer) poolKeys.add(poolKey(spec));
    upstreams.set(s.id, {
      serviceId: s.id,
      origin: spec.origin,
      hostHeader: hostWithPort(s.host, s.port, s.protocol === 'https' || s.protocol === 'wss' ? 443 : 80),
      pool: balancer ? null : pools.acquire(spec),
      balancer: balancer ? new ServiceBalancer(balancer, s, ORIGIN_SCHEME[s.protocol], pools, spec.tls ?? null) : null,
      // undici's headers timer also fires when the upstream stops reading the request body, so it
      // stands in for write_timeout too; read_timeout bounds the wait for headers and between body chunks
      headersTimeout: Math.max(s.read_timeout, 1),
      bodyTimeout: Math.max(s.read_timeout, 1),
      retries: s.retries,
      tls: spec.tls ?? null,
    });
  }
  return { upstreams, poolKeys };
}

/**
 * Checks (snapshot-check.ts) and compiles `snapshot` at once. Pools come from `pools` (shared across
 * versions so unchanged origins keep their connections); pass the store's registry. Throws on anything
 * invalid. A snapshot checked before (isChecked) is not hashed or validated again.
 */
export function compileRuntime(
  snapshot: Snapshot,
  pools: UpstreamPools = new UpstreamPools(),
  logger?: Logger,
  balancing: RuntimeBalancing = {},
  plugins: PluginSet = BUNDLED_PLUGIN_SET,
  metrics: ProxyMetrics = new ProxyMetrics(),
): RuntimeConfig {
  return runSteps(
    (function* () {
      const checked = yield* checkSnapshotSteps(snapshot, plugins.schemas);
      return yield* compileRuntimeSteps(checked, pools, logger, balancing, plugins, metrics);
    })(),
  );
}

/** Compiles a checked snapshot, trusting its hash and validation, one route or plugin per step. */
export function* compileRuntimeSteps(
  snapshot: CheckedSnapshot,
  pools: UpstreamPools = new UpstreamPools(),
  logger?: Logger,
  balancing: RuntimeBalancing = {},
  plugins: PluginSet = BUNDLED_PLUGIN_SET,
  metrics: ProxyMetrics = new ProxyMetrics(),
  /** what the previous compiles left to reuse: unchanged route objects are not compiled again, ... */
  cache?: CompileCache,
): Steps<RuntimeConfig> {
  const config = snapshot.config;
  // routes added and removed since the last compile: what is kept per route is changed, not built again
  const made = changesOf(snapshot);
  const tracked = cache ? yield* cache.routeChangesSteps(config.routes, made && { from: made.from.config.routes, added: (made.upserted.routes ?? []) as Route[], removed: (made.dropped.routes ?? []) as Route[] }) : null;
  const changes = tracked?.changes ?? null;
  const last = cache?.last ?? null;
  // the router leaves out routes without a service or with a disabled one (Kong: they answer 404)
  const router = yield* compileRouterSteps(config.routes, config.services, cache?.routes, changes);
  let tls: TlsRuntime;
  try {
    tls = { certificates: compileSniCertificates(config), httpsOnly: last && changes ? updateHttpsOnly(last.httpsOnly, changes) : compileHttpsOnly(config.routes) };
  } catch (err) {
    throw new ConfigRejectedError(`snapshot ${snapshot.version}: ${(err as Error).message}`);
  }
  yield;
  const routeMetrics = yield* metrics.routesSteps(config, last?.routeMetrics, changes);
  yield;
  let chains: ChainSet;
  try {
    chains = yield* compileChainsSteps({ config, handlers: plugins.handlers, logger, node: plugins.node, indexes: cache?.indexes, changes: made && { from: made.from.config, upserted: made.upserted, dropped: made.dropped } });
  } catch (err) {
    throw new ConfigRejectedError(`snapshot ${snapshot.version}: ${(err as Error).message}`);
  }
  // balancers and pools last: everything above may throw, and nothing above starts timers or acquires pools
  const balancers = compileBalancers(config, balancing.previous?.balancers ?? null, balancing);
  try {
    const { upstreams, poolKeys } = buildUpstreams(config, pools, upstreamTlsResolver(config), balancers);
    tracked?.commit({ httpsOnly: tls.httpsOnly, routeMetrics });
    return { version: snapshot.version, hash: snapshot.hash, config, router, chains, upstreams, poolKeys, pools, tls, balancers, routeMetrics };
  } catch (err) {
    closeBalancers(balancers);
    throw err;
  }
}
