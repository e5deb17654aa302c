// The plugin SDK's contract: what a plugin implements. Phases are a closed list (Kong's), each
// optional; a plugin builds its per-instance state once when a snapshot is applied (`configure`), so
// the per-request phases only read precompiled state.
import type { ConfigSet, Plugin, Steps } from '@archway/schema';
import type { NodeState } from './node-state';
import type { PluginContext } from './plugin-context';

export const PHASES = ['rewrite', 'access', 'headerFilter', 'bodyFilter', 'log'] as const;
export type Phase = (typeof PHASES)[number];

/** The data plane's logger as plugins see it (structurally @archway/telemetry's Logger). */
export interface PluginLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * A lookup computed from the config alone (for `env.index`), built in steps of a few hundred entities:
 * a data plane builds it in time slices beside the proxy instead of in one block inside `configure`.
 */
export interface ConfigIndex<T> {
  readonly key: string;
  build(config: ConfigSet): Steps<T>;
  /**
   * Optional: the index for the config a delta made, from `prev` (built for the config before it) and
   * what the delta changed, instead of a build. `prev` is still served: return a new value.
   */
  update?(prev: T, changes: IndexChanges): Steps<T>;
}

/** What a delta changed, for ConfigIndex.update: by collection, only those with some. */
export interface IndexChanges {
  /** the config the delta was applied to */
  readonly from: ConfigSet;
  /** the entities put in (new, or in place of one with the same id) */
  readonly upserted: Partial<Record<string, readonly unknown[]>>;
  /** `from`'s entities taken out (removed, or replaced by an upserted one) */
  readonly dropped: Partial<Record<string, readonly unknown[]>>;
}

/** What `configure` may use: the whole config of the snapshot, and indexes shared by every instance. */
export interface ConfigureEnv {
  readonly config: ConfigSet;
  /** for events outside a request's answer (a plugin service down, a queue full); silent when none was given */
  readonly logger: PluginLogger;
  /** builds `key`'s value once per snapshot (e.g. key-auth's key -> credential map) and shares it */
  shared<T>(key: string, build: (config: ConfigSet) => T): T;
  /**
   * Like `shared`, for a value computed from the config alone (a lookup map; nothing to dispose, never
   * changed once built): the data plane keeps it across snapshots and builds it again only when a
   * collection `build` read (config.consumers, config.keyauth_credentials, ...) is not the same array
   * any more. After a delta, the collections it did not touch are the same arrays.
   */
  index<T>(key: string, build: (config: ConfigSet) => T): T;
  /** the same for a lookup built in steps: built ahead of configure when the handler lists it in `indexes` */
  index<T>(index: ConfigIndex<T>): T;
  /**
   * state shared by every process of this data-plane node (its proxy workers), or null when this
   * process is the whole node: a plugin then keeps that state in its own memory
   */
  readonly node?: NodeState | null;
}

export type PhaseResult = void | Promise<void>;

export interface PluginHandler<State = unknown> {
  name: string;
  /** higher runs first (Kong's PRIORITY) */
  priority: number;
  version: string;
  /**
   * compiles one plugin instance's config into the state the phases read; `plugin` is the whole
   * entity, for what Kong adds to a conf (route_id, service_id, consumer_id, the plugin's id)
   */
  configure?(config: Record<string, unknown>, env: ConfigureEnv, plugin?: Plugin): State;
  /**
   * the step-built indexes `configure` will ask `env.index` for with this instance's config: the
   * compile builds them first, a step at a time (10,000 consumers are a few ms of work)
   */
  indexes?(config: Record<string, unknown>): readonly ConfigIndex<unknown>[];
  /** before routing decisions are used; runs for global plugins only, as in Kong */
  rewrite?(ctx: PluginContext, state: State): PhaseResult;
  access?(ctx: PluginContext, state: State): PhaseResult;
  /** the upstream's (or the exit's) status and headers are known; may change headers */
  headerFilter?(ctx: PluginContext, state: State): PhaseResult;
  /** the whole response body (buffered only when a plugin on the chain has this phase); returns the new body */
  bodyFilter?(ctx: PluginContext, state: State, body: Buffer): Buffer | Promise<Buffer>;
  /**
   * whether this instance's bodyFilter has work to do (default true); false keeps the response
   * streamed. Asked once without `ctx` when chains are compiled (may it ever need a body?), and with
   * `ctx` after the header filter (does it need this response's body? e.g. only a cacheable one)
   */
  needsResponseBody?(state: State, ctx?: PluginContext): boolean;
  /** after the response was sent, off the critical path */
  log?(ctx: PluginContext, state: State): PhaseResult;
  /**
   * the request body is needed in access (e.g. key-auth reading a key from the body). Asked once
   * without `ctx` when chains are compiled (may it ever need one?), and with `ctx` (headers known,
   * before rewrite) for each request that has a body (does it need this one? e.g. request-size-limiting
   * only when no Content-Length tells the size)
   */
  readsRequestBody?(state: State, ctx?: PluginContext): boolean;
  /**
   * releases what `configure` opened (connection pools, clients, timers) once a newer snapshot
   * replaced this one or the data plane stops; requests still in flight may finish
   */
  dispose?(state: State): void | Promise<void>;
}
