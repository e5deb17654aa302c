// Compiles the plugins of a snapshot into per-route chains, with Kong's precedence
// (kong/runloop/plugins_iterator.lua, lookup_cfg): for each plugin name one instance runs, the most
// specific one: consumer+route+service > consumer+route > consumer+service > route+service > consumer
// > route > service > global. Consumer-specific chains are built lazily, once per route and consumer.
import { runSteps, type ConfigSet, type Plugin, type Route, type Service, type Steps } from '@archway/schema';
import type { NodeState } from './node-state';
import type { ConfigIndex, ConfigureEnv, IndexChanges, PluginHandler, PluginLogger } from './plugin-handler';

export interface Step {
  readonly plugin: Plugin;
  readonly handler: PluginHandler;
  readonly state: unknown;
}

/** The plugins one request runs, per phase in priority order; null for an empty phase. */
export interface Chain {
  readonly rewrite: readonly Step[] | null;
  readonly access: readonly Step[] | null;
  readonly headerFilter: readonly Step[] | null;
  readonly bodyFilter: readonly Step[] | null;
  readonly log: readonly Step[] | null;
  /** true when no plugin applies: the proxy skips the pipeline entirely */
  readonly empty: boolean;
  readonly readsRequestBody: boolean;
  /**
   * a request on this chain may reach a log phase (this chain has one, or consumer-specific plugins
   * may bring one): false lets the proxy skip collecting what only log plugins read
   */
  readonly mayLog: boolean;
  /** the chain once the consumer is known (itself when no plugin is consumer-specific here) */
  forConsumer(consumerId: string): Chain;
}

export class PluginUnavailableError extends Error {
  readonly code = 'ARCHWAY_PLUGIN_UNAVAILABLE';
}

type Key = string;
const key = (route: string | null, service: string | null, consumer: string | null): Key => `${route ?? ''}|${service ?? ''}|${consumer ?? ''}`;

function byPriority(a: Step, b: Step): number {
  return b.handler.priority - a.handler.priority || (a.plugin.name < b.plugin.name ? -1 : 1);
}

class CompiledChain implements Chain {
  readonly rewrite: readonly Step[] | null;
  readonly access: readonly Step[] | null;
  readonly headerFilter: readonly Step[] | null;
  readonly bodyFilter: readonly Step[] | null;
  readonly log: readonly Step[] | null;
  readonly empty: boolean;
  readonly readsRequestBody: boolean;
  readonly mayLog: boolean;
  readonly #consumerChains = new Map<string, Chain>();

  constructor(
    steps: Step[],
    private readonly resolveForConsumer: ((consumerId: string) => Step[]) | null,
    globalOnly: Step[],
  ) {
    steps.sort(byPriority);
    const phase = (p: keyof PluginHandler, list = steps) => {
      const found = list.filter((s) => typeof s.handler[p] === 'function');
      return found.length ? found : null;
    };
    // Kong runs rewrite before the route is known, so only global plugins have it
    this.rewrite = phase('rewrite', globalOnly.sort(byPriority));
    this.access = phase('access');
    this.headerFilter = phase('headerFilter');
    // an instance whose body filter would be a no-op (needsResponseBody false) does not force buffering
    this.bodyFilter = phase('bodyFilter', steps.filter((s) => s.handler.needsResponseBody?.(s.state) ?? true));
    this.log = phase('log');
    this.empty = steps.length === 0 && this.rewrite === null;
    this.readsRequestBody = steps.some((s) => s.handler.readsRequestBody?.(s.state) ?? false);
    this.mayLog = this.log !== null || resolveForConsumer !== null;
  }

  forConsumer(consumerId: string): Chain {
    if (!this.resolveForConsumer) return this;
    let chain = this.#consumerChains.get(consumerId);
    if (!chain) {
      chain = new CompiledChain(this.resolveForConsumer(consumerId), null, this.rewrite ? [...this.rewrite] : []);
      this.#consumerChains.set(consumerId, chain);
    }
    return chain;
  }
}

export interface ChainSet {
  /**
   * The chain for requests matched to `route` (null: no route, global plugins only). `service` is the
   * route's service object from the same config (the router's match has it): found by identity, it
   * spares a per-request lookup by id string.
   */
  forRoute(route: Route | null, service?: Service | null): Chain;
  /**
   * Calls every configured instance's `dispose` once (the snapshot was replaced, or the data plane
   * stops); failures are passed to `onError`. Resolves once every disposal settled (queues flushed,
   * clients closed); calling it again returns the same promise.
   */
  dispose(onError?: (err: unknown, plugin: Plugin) => void): Promise<void>;
}

export interface CompileChainsInput {
  config: ConfigSet;
  handlers: ReadonlyMap<string, PluginHandler>;
  /** handed to configure (env.logger); silent when omitted */
  logger?: PluginLogger;
  /** handed to configure (env.node): the node's shared state when it runs several processes */
  node?: NodeState | null;
  /** `env.index` values kept from the previous compiles (a data plane passes the same cache to each) */
  indexes?: ConfigIndexCache;
  /** what the delta that made `config` changed: kept indexes built for its base are updated, not built again */
  changes?: IndexChanges;
}

/**
 * Values built by `env.index`, kept from one compile to the next with the config collections their
 * build read: one is built again only when one of those collections is a different array (or updated,
 * after a delta, when its ConfigIndex can be).
 */
export class ConfigIndexCache {
  readonly #entries = new Map<string, { reads: Map<string | symbol, unknown>; value: unknown }>();
  /** indexes built / updated from a delta / reused by the compiles since the last reset (for benches and specs) */
  built = 0;
  updated = 0;
  reused = 0;

  /**
   * `index`'s value for `config`: the one kept if every collection its build read is the same array in
   * `config`; else updated from it, when the index can be and the kept one was built for the base of
   * the delta that made `config` (`changes`); else built. In steps.
   */
  *getSteps<T>(index: ConfigIndex<T>, config: ConfigSet, changes?: IndexChanges): Steps<T> {
    const hit = this.#entries.get(index.key);
    if (hit !== undefined) {
      const read = (c: ConfigSet, k: string | symbol) => (c as unknown as Record<string | symbol, unknown>)[k];
      if ([...hit.reads].every(([k, v]) => read(config, k) === v)) {
        this.reused++;
        return hit.value as T;
      }
      if (index.update && changes && [...hit.reads].every(([k, v]) => read(changes.from, k) === v)) {
        const value = yield* index.update(hit.value as T, changes);
        this.updated++;
        this.#entries.set(index.key, { reads: new Map([...hit.reads.keys()].map((k) => [k, read(config, k)])), value });
        return value;
      }
    }
    const reads = new Map<string | symbol, unknown>();
    const tracked = new Proxy(config, {
      get(target, prop, receiver) {
        const v: unknown = Reflect.get(target, prop, receiver);
        reads.set(prop, v);
        return v;
      },
    });
    const value = yield* index.build(tracked);
    this.built++;
    this.#entries.set(index.key, { reads, value });
    return value;
  }
}

/** a build that is not written in steps, as one step */
// eslint-disable-next-line require-yield -- it is one step
function* atOnce<T>(build: (config: ConfigSet) => T, config: ConfigSet): Steps<T> {
  return build(config);
}

const noop = (): void => undefined;
const SILENT: PluginLogger = { debug: noop, info: noop, warn: noop, error: noop };

/** configure's env, and what builds the step-built indexes ahead of configure (into the same caches) */
function makeEnv(
  config: ConfigSet,
  logger: PluginLogger = SILENT,
  node: NodeState | null = null,
  indexes?: ConfigIndexCache,
  changes?: IndexChanges,
): { env: ConfigureEnv; prebuildSteps(index: ConfigIndex<unknown>): Steps<unknown> } {
  const cache = new Map<string, unknown>();
  const shared = <T>(k: string, build: (c: ConfigSet) => T): T => {
    if (!cache.has(k)) cache.set(k, build(config));
    return cache.get(k) as T;
  };
  function* indexSteps<T>(index: ConfigIndex<T>): Steps<T> {
    const at = `index ${index.key}`;
    if (!cache.has(at)) cache.set(at, indexes ? yield* indexes.getSteps(index, config, changes) : yield* index.build(config));
    return cache.get(at) as T;
  }
  const env: ConfigureEnv = {
    config,
    logger,
    node,
    shared,
    index<T>(keyOrIndex: string | ConfigIndex<T>, build?: (c: ConfigSet) => T): T {
      const index = typeof keyOrIndex === 'string' ? { key: keyOrIndex, build: (c: ConfigSet) => atOnce(build as (c: ConfigSet) => T, c) } : keyOrIndex;
      return runSteps(indexSteps(index));
    },
  };
  return { env, prebuildSteps: indexSteps };
}

function disposeInstances(instances: Map<string, Map<Key, Step>>, onError?: (err: unknown, plugin: Plugin) => void): Promise<void> {
  const pending: Promise<void>[] = [];
  for (const byScope of instances.values())
    for (const { plugin, handler, state } of byScope.values()) {
      if (!handler.dispose) continue;
      try {
        pending.push(Promise.resolve(handler.dispose(state)).catch((err: unknown) => onError?.(err, plugin)));
      } catch (err) {
        onError?.(err, plugin);
      }
    }
  return Promise.all(pending).then(noop);
}

/** Configures every enabled plugin once and returns per-route chains. Throws when a plugin has no handler here. */
export function compileChains(input: CompileChainsInput): ChainSet {
  return runSteps(compileChainsSteps(input));
}

/** compileChains, one plugin instance or one route per step (see @archway/schema's steps.ts). */
export function* compileChainsSteps({ config, handlers, logger, node, indexes, changes }: CompileChainsInput): Steps<ChainSet> {
  const { env, prebuildSteps } = makeEnv(config, logger, node, indexes, changes);
  // name -> scope key -> configured instance
  const instances = new Map<string, Map<Key, Step>>();
  const consumerScoped = new Set<string>();
  const enabled = ((config as ConfigSet & { plugins?: Plugin[] }).plugins ?? []).filter((p) => p.enabled);
  // every handler is checked before any is configured: configure may open resources (pools, clients)
  for (const plugin of enabled)
    if (!handlers.has(plugin.name)) throw new PluginUnavailableError(`plugin '${plugin.name}' is not available on this data plane`);
  try {
    // the lookups configure will ask for, a few hundred entities per step, before configure asks
    for (const plugin of enabled)
      for (const index of (handlers.get(plugin.name) as PluginHandler).indexes?.(plugin.config) ?? []) yield* prebuildSteps(index);
    for (const plugin of enabled) {
      const handler = handlers.get(plugin.name) as PluginHandler;
      const state = handler.configure ? handler.configure(plugin.config, env, plugin) : undefined;
      let byScope = instances.get(plugin.name);
      if (!byScope) instances.set(plugin.name, (byScope = new Map()));
      byScope.set(key(plugin.route?.id ?? null, plugin.service?.id ?? null, plugin.consumer?.id ?? null), { plugin, handler, state });
      if (plugin.consumer) consumerScoped.add(plugin.name);
      yield;
    }
  } catch (err) {
    void disposeInstances(instances);
    throw err;
  }

  const resolve = (routeId: string | null, serviceId: string | null, consumerId: string | null): Step[] => {
    const order: Key[] = [];
    if (consumerId) order.push(key(routeId, serviceId, consumerId), key(routeId, null, consumerId), key(null, serviceId, consumerId));
    order.push(key(routeId, serviceId, null));
    if (consumerId) order.push(key(null, null, consumerId));
    order.push(key(routeId, null, null), key(null, serviceId, null), key(null, null, null));
    const steps: Step[] = [];
    for (const byScope of instances.values()) {
      for (const k of order) {
        const step = byScope.get(k);
        if (step) {
          steps.push(step);
          break;
        }
      }
    }
    return steps;
  };

  const globals = [...instances.values()].map((m) => m.get(key(null, null, null))).filter((s): s is Step => !!s);
  const build = (routeId: string | null, serviceId: string | null): Chain =>
    new CompiledChain(
      resolve(routeId, serviceId, null),
      consumerScoped.size ? (consumerId) => resolve(routeId, serviceId, consumerId) : null,
      [...globals],
    );

  // Without consumer-specific plugins a chain depends only on the instances it runs: routes and
  // services that resolve to the same ones (typically all, with global or service plugins only) share one.
  const shared = consumerScoped.size === 0 ? new Map<string, Chain>() : null;
  const chainFor = (routeId: string | null, serviceId: string | null): Chain => {
    if (!shared) return build(routeId, serviceId);
    const steps = resolve(routeId, serviceId, null);
    const k = steps.map((s) => s.plugin.id).join(',');
    let chain = shared.get(k);
    if (!chain) shared.set(k, (chain = new CompiledChain(steps, null, [...globals])));
    return chain;
  };
  // A route no instance names resolves as its service does (its own scope keys match nothing): it runs
  // its service's chain, so the compile costs one chain per service and per route some instance names,
  // not one per route (10,000 routes on one service are one chain).
  const byService = new Map<Service, Chain>();
  const byServiceId = new Map<string, Chain>();
  for (let i = 0; i < config.services.length; i++) {
    const chain = chainFor(null, config.services[i].id);
    byService.set(config.services[i], chain);
    byServiceId.set(config.services[i].id, chain);
    if (i % 64 === 63) yield;
  }
  const routeScoped = new Set<string>();
  for (const byScope of instances.values()) for (const { plugin } of byScope.values()) if (plugin.route) routeScoped.add(plugin.route.id);
  // by route id, as before this map held only route-scoped routes: a route object of another config (a
  // copy) still finds its route's instances; with none route-scoped (the usual case) it is never read
  const byRoute = new Map<string, Chain>();
  if (routeScoped.size > 0)
    for (let i = 0; i < config.routes.length; i++) {
      const route = config.routes[i];
      if (routeScoped.has(route.id)) {
        byRoute.set(route.id, chainFor(route.id, route.service?.id ?? null));
        yield;
      } else if (i % 1024 === 1023) yield;
    }
  const noRoute = build(null, null);
  let disposed: Promise<void> | null = null;
  return {
    forRoute: (route, service) => {
      if (route === null) return noRoute;
      const own = byRoute.size === 0 ? undefined : byRoute.get(route.id);
      if (own !== undefined) return own;
      // by id when the object is not this config's (never for the router's matches; a safe fallback)
      return (service && byService.get(service)) ?? (route.service && byServiceId.get(route.service.id)) ?? noRoute;
    },
    dispose(onError) {
      return (disposed ??= disposeInstances(instances, onError));
    },
  };
}
