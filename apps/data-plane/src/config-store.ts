// Holds the runtime config the proxy serves. apply(): check (unless checked already), compile, swap
// one reference (requests in flight keep the object they started with), then persist the snapshot as
// the last-known-good disk cache. Checking and compiling run in time slices (time-slices.ts): requests
// keep being served on the old config while a large snapshot is prepared.
import { join } from 'node:path';
import { runSteps, type Snapshot, type Steps } from '@archway/schema';
import type { Logger } from '@archway/telemetry';
import { balancersReady, closeBalancers, type BalancingOptions } from './balancers';
import { ProxyMetrics } from './proxy-metrics';
import { BUNDLED_PLUGIN_SET, CompileCache, compileRuntimeSteps, type PluginSet, type RuntimeConfig } from './runtime-config';
import { SnapshotChecker } from './snapshot-check';
import { CoalescedSnapshotWriter, readSnapshotFile, SnapshotFileWriter } from './snapshot-file';
import { runInSlices } from './time-slices';
import { UpstreamPools } from './upstream-pools';

export interface ConfigStoreOptions {
  /** the node's prefix directory; the cache lives in <prefix>/dp-cache/snapshot.json */
  prefix: string;
  logger: Logger;
  /** zone, health/circuit hooks (and, in specs, resolver/clock/probe) for the upstreams' balancers */
  balancing?: BalancingOptions;
  /** write applied snapshots to the disk cache (default true; proxy workers leave it to their primary) */
  persist?: boolean;
  /** the plugins this data plane runs (default: the bundled ones) */
  plugins?: PluginSet;
  /** where this process's proxy metrics go (default: a registry of its own) */
  metrics?: ProxyMetrics;
  /**
   * > 0: apply() does not wait for the disk cache; the newest applied snapshot is written this many ms
   * later, coalesced (CoalescedSnapshotWriter), and at close(). 0 (default): apply() resolves once written.
   */
  cacheDelayMs?: number;
}

const CORRUPT_CACHE = 'ignoring a corrupt or invalid configuration cache; waiting for the control plane';

export function cacheFilePath(prefix: string): string {
  return join(prefix, 'dp-cache', 'snapshot.json');
}

export class ConfigStore {
  #runtime: RuntimeConfig | null = null;
  #pools = new UpstreamPools();
  #writes: Promise<void> = Promise.resolve();
  /** plugin disposals still under way (a replaced config's http-log queue sending what it held) */
  readonly #disposing = new Set<Promise<void>>();
  readonly #file: string;
  /** the disk cache: the whole snapshot, or a journal line when a delta changed a few entities */
  readonly #cacheWriter: SnapshotFileWriter;
  readonly #logger: Logger;
  readonly #balancing: BalancingOptions;
  readonly #persistApplied: boolean;
  readonly #plugins: PluginSet;
  /** the coalesced disk-cache writer (cacheDelayMs > 0), else null: apply() writes before resolving */
  readonly #laterWrites: CoalescedSnapshotWriter | null;
  /** what a compile reuses from the previous ones: a delta's unchanged routes (the same validated objects) are not compiled again, ... */
  readonly compileCache = new CompileCache();
  /** the proxy's metrics: route series are compiled with each snapshot, circuit changes counted */
  readonly metrics: ProxyMetrics;
  /**
   * checks what is not checked yet (the disk cache, at start) and remembers what passed: a sync client
   * given it reads the first snapshot from a control plane against the cached config
   */
  readonly checker: SnapshotChecker;

  constructor(opts: ConfigStoreOptions) {
    this.#file = cacheFilePath(opts.prefix);
    this.#cacheWriter = new SnapshotFileWriter(this.#file);
    this.#persistApplied = opts.persist ?? true;
    this.#plugins = opts.plugins ?? BUNDLED_PLUGIN_SET;
    this.checker = new SnapshotChecker(this.#plugins.schemas);
    this.#logger = opts.logger;
    const delay = opts.cacheDelayMs ?? 0;
    this.#laterWrites =
      delay > 0 ? new CoalescedSnapshotWriter(this.#cacheWriter, delay, (err) => this.#logger.warn('cannot write the configuration cache', { file: this.#file, err })) : null;
    const metrics = (this.metrics = opts.metrics ?? new ProxyMetrics());
    const onCircuitChange = opts.balancing?.onCircuitChange;
    this.#balancing = {
      logger: opts.logger.child({ component: 'balancer' }),
      ...opts.balancing,
      onCircuitChange: (e) => {
        metrics.circuitChange(e);
        onCircuitChange?.(e);
      },
    };
  }

  /** The config to serve a request with, read once per request; null until one is loaded. */
  get runtime(): RuntimeConfig | null {
    return this.#runtime;
  }

  current(): { version: number; hash: string } | null {
    const rt = this.#runtime;
    return rt ? { version: rt.version, hash: rt.hash } : null;
  }

  /**
   * Checks (unless it was checked: see snapshot-check.ts), compiles and swaps in `snapshot`, in time
   * slices, then caches it. Throws (and keeps the old config) if it is invalid.
   */
  async apply(snapshot: Snapshot): Promise<void> {
    const rt = this.#runtime;
    if (rt && rt.version === snapshot.version && rt.hash === snapshot.hash) return;
    const next = await this.#compile(snapshot, true);
    this.#swap(next);
    this.#logger.info('configuration applied', { config_version: snapshot.version, configuration_hash: snapshot.hash });
    if (!this.#persistApplied) return;
    const applied = { version: next.version, hash: next.hash, config: next.config };
    if (this.#laterWrites) this.#laterWrites.schedule(applied);
    else await this.#persist(applied);
  }

  /** Writes a disk-cache write still pending (cacheDelayMs) now; resolves once the cache holds the served config. */
  async flushCache(): Promise<void> {
    await this.#laterWrites?.flush();
    await this.#writes;
  }

  /** Serves the cached snapshot if there is a valid one; a missing, corrupt or invalid cache is logged and ignored. */
  async loadCache(): Promise<boolean> {
    let snapshot: Snapshot | null;
    try {
      snapshot = await readSnapshotFile(this.#file);
    } catch (err) {
      if (err instanceof SyntaxError) this.#logger.warn(CORRUPT_CACHE, { file: this.#file, err });
      else this.#logger.warn('cannot read the configuration cache; starting without it', { file: this.#file, err });
      return false;
    }
    if (snapshot === null) return false;
    try {
      // nothing is served yet: checked and compiled at once (the cache is checked like any snapshot)
      this.#swap(await this.#compile(snapshot, false));
      this.#logger.info('configuration loaded from cache', { file: this.#file, config_version: snapshot.version });
      return true;
    } catch (err) {
      this.#logger.warn(CORRUPT_CACHE, { file: this.#file, err });
      return false;
    }
  }

  /**
   * Releases the serving config's plugin instances and waits, for up to `timeoutMs`, until they and
   * those of configs replaced earlier are done (http-log queues sent, clients closed). Called at
   * shutdown once no request is served any more; false (and a warning) when time ran out first.
   */
  async flushPlugins(timeoutMs: number): Promise<boolean> {
    this.#disposeChains(this.#runtime);
    if (this.#disposing.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const flushed = await Promise.race([
      Promise.all(this.#disposing).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs)))),
    ]);
    clearTimeout(timer);
    if (!flushed)
      this.#logger.warn('plugins did not finish sending their queued entries before the drain timeout; what is left is lost', {
        plugins_pending: this.#disposing.size,
        timeout_ms: timeoutMs,
      });
    return flushed;
  }

  /** Closes upstream pools, letting in-flight requests finish for up to `graceMs`. */
  async close(graceMs?: number): Promise<void> {
    await this.flushCache();
    this.#disposeChains(this.#runtime);
    closeBalancers(this.#runtime?.balancers);
    await this.#pools.closeAll(graceMs);
  }

  /** check -> compile -> first DNS answers of the balancers -> their peers' pools opened; nothing swapped yet. */
  async #compile(snapshot: Snapshot, sliced: boolean): Promise<RuntimeConfig> {
    const steps = this.#compileSteps(snapshot);
    const next = sliced ? await runInSlices(steps) : runSteps(steps);
    try {
      await balancersReady(next.balancers);
    } catch (err) {
      closeBalancers(next.balancers);
      this.#disposeChains(next);
      throw err;
    }
    for (const upstream of next.upstreams.values()) upstream.balancer?.warm();
    return next;
  }

  *#compileSteps(snapshot: Snapshot): Steps<RuntimeConfig> {
    const checked = yield* this.checker.checkSteps(snapshot);
    // the balancers adopt the state of the runtime served when they are built (applies run one at a time)
    return yield* compileRuntimeSteps(checked, this.#pools, this.#logger, { ...this.#balancing, previous: this.#runtime }, this.#plugins, this.metrics, this.compileCache);
  }

  /** Pools the runtime uses: the services' direct pools and the balanced services' peer pools. */
  #poolKeysOf(rt: RuntimeConfig): ReadonlySet<string> {
    let keys: Set<string> | null = null;
    for (const upstream of rt.upstreams.values()) {
      if (upstream.balancer === null) continue;
      keys ??= new Set(rt.poolKeys);
      for (const key of upstream.balancer.poolKeys) keys.add(key);
    }
    return keys ?? rt.poolKeys;
  }

  #swap(next: RuntimeConfig): void {
    const previous = this.#runtime;
    this.#runtime = next;
    this.#pools.retainOnly(this.#poolKeysOf(next));
    // the old balancers stop their timers (the new ones adopted their state); in-flight requests can still report to them
    if (previous) closeBalancers(previous.balancers);
    // plugin instances of the old snapshot release their clients and pools (in-flight calls finish)
    this.#disposeChains(previous);
  }

  /** Disposes `rt`'s plugin instances (once); flushPlugins waits for those still under way. */
  #disposeChains(rt: RuntimeConfig | null): void {
    if (!rt) return;
    const done = rt.chains.dispose((err, plugin) =>
      this.#logger.warn('plugin failed to release its resources', { plugin: plugin.name, plugin_id: plugin.id, err }),
    );
    if (this.#disposing.has(done)) return;
    this.#disposing.add(done);
    void done.then(() => this.#disposing.delete(done));
  }

  /** Writes are serialised so an older snapshot never overwrites a newer one; stale ones are skipped. */
  #persist(snapshot: Snapshot): Promise<void> {
    const write = this.#writes.then(async () => {
      if (this.#runtime?.hash !== snapshot.hash || this.#runtime.version !== snapshot.version) return;
      try {
        await this.#cacheWriter.write(snapshot);
      } catch (err) {
        // the config is live; only restart-without-control-plane is at risk, so say so and carry on
        this.#logger.warn('cannot write the configuration cache', { file: this.#file, err });
      }
    });
    this.#writes = write;
    return write;
  }
}
