// A proxy worker process (ARCHWAY_WORKERS > 1), forked by the data plane's primary (workers.ts): it
// compiles and serves the snapshots the primary sends over IPC, listens on the shared proxy sockets,
// reports upstream health and counters when asked, and drains on the primary's word or on a signal.
// State shared by the node (rate-limiting counters, upstream health) is the primary's: node-state/.
import { loadSettings, type Settings } from '@archway/config';
import { createLogger, type Logger, type MetricsSnapshot } from '@archway/telemetry';
import { ConfigStore } from './config-store';
import { exitOnTermination } from './drain';
import { limitsOf } from './downstream-limits';
import { HealthReporter } from './health-reporter';
import { isNodeStateMessage } from './node-state/messages';
import { NodeStateClient } from './node-state/node-state-client';
import { ProxyServer } from './proxy-server';
import { configureResponseHeaders } from './response-headers-setting';
import { BUNDLED_PLUGIN_SET } from './runtime-config';
import { configureTrustedIps } from './trusted-ips';
import { trustCheckedSnapshot } from './snapshot-check';
import { PartsReceiver } from './snapshot-transfer';
import { runInSlices } from './time-slices';
import { findBalancer, upstreamHealthBody } from './upstream-health';
import { keepTickObjectShape } from './tick-object-shape';
import type { FromWorker, ToWorker } from './worker-messages';

function send(msg: FromWorker): void {
  if (process.connected) process.send?.(msg);
}

class Worker {
  readonly #store: ConfigStore;
  readonly #proxy: ProxyServer;
  readonly #reporter: HealthReporter;
  /** the node's counters and upstream health, kept by the primary */
  readonly #node: NodeStateClient;
  /** applies run one at a time, in the order the primary sent them */
  #applies: Promise<void> = Promise.resolve();
  #closing: Promise<void> | null = null;

  constructor(
    readonly settings: Settings,
    readonly log: Logger,
  ) {
    configureResponseHeaders(settings.headers);
    configureTrustedIps(settings.trustedIps);
    let reporter: HealthReporter | null = null;
    const changed = () => reporter?.changed();
    const node = (this.#node = new NodeStateClient({
      send: (msg) => {
        if (!process.connected) return false;
        process.send?.(msg);
        return true;
      },
      balancers: () => this.#store.runtime?.balancers,
    }));
    this.#store = new ConfigStore({
      prefix: settings.prefix,
      logger: log.child({ component: 'config' }),
      persist: false, // the primary keeps the disk cache
      plugins: { ...BUNDLED_PLUGIN_SET, node },
      balancing: {
        zone: settings.zone === 'default' ? null : settings.zone,
        activeChecks: false, // the primary probes for the whole node and shares the results
        onHealthChange: (e) => {
          node.healthChanged(e);
          changed();
        },
        onCircuitChange: changed,
      },
    });
    this.#proxy = new ProxyServer({
      ...settings.proxyListen,
      tls: settings.proxySslListen,
      limits: limitsOf(settings),
      store: this.#store,
      logger: log.child({ component: 'proxy' }),
    });
    this.#reporter = reporter = new HealthReporter({
      balancers: () => this.#store.runtime?.balancers,
      send: (report) => send({ type: 'health', report }),
      logger: log.child({ component: 'health' }),
    });
  }

  onMessage(msg: ToWorker): void {
    if (isNodeStateMessage(msg)) return this.#node.onMessage(msg);
    switch (msg.type) {
      case 'start':
        void this.#start(msg.snapshot);
        return;
      case 'apply':
        this.#applies = this.#applies.then(() =>
          // the primary checked it (hash, validation): the worker only compiles, in time slices
          this.#store.apply(trustCheckedSnapshot(msg.snapshot)).then(
            () => {
              this.#reporter.changed();
              send({ type: 'applied', seq: msg.seq, error: null });
            },
            (err: unknown) => send({ type: 'applied', seq: msg.seq, error: err instanceof Error ? err.message : String(err) }),
          ),
        );
        return;
      case 'query': {
        const body =
          msg.what === 'stats' ? this.#proxy.stats() : msg.what === 'metrics' ? this.#metrics() : this.#upstreamHealth(msg.key, msg.balancerHealth);
        send({ type: 'answer', seq: msg.seq, body });
        return;
      }
      case 'drain':
        void this.close(msg.graceMs).then(() => process.exit(0));
        return;
    }
  }

  /** This worker's proxy metrics; the primary sums every worker's and adds its own (config, sync). */
  #metrics(): MetricsSnapshot {
    const metrics = this.#store.metrics;
    metrics.collect(this.#proxy.stats().connections_active, this.#store.runtime?.balancers);
    return metrics.registry.snapshot();
  }

  #upstreamHealth(key: string, balancerHealth: boolean): unknown {
    const balancer = findBalancer(this.#store.runtime?.balancers, key);
    return balancer ? upstreamHealthBody(balancer, balancerHealth, this.settings.nodeId ?? '') : null;
  }

  /** Serves the primary's current snapshot first, so a replaced worker never answers from an empty config. */
  async #start(snapshot: Parameters<ConfigStore['apply']>[0] | null): Promise<void> {
    if (snapshot) {
      try {
        await this.#store.apply(trustCheckedSnapshot(snapshot));
      } catch (err) {
        this.log.error('cannot apply the current configuration; serving none until the next one', { err });
      }
    }
    try {
      const proxyPort = await this.#proxy.listen();
      const proxySslPort = this.settings.proxySslListen ? await this.#proxy.listenTls() : null;
      this.#reporter.start();
      send({ type: 'listening', proxyPort, proxySslPort });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? 'the address is already in use' : code === 'EACCES' ? 'permission denied' : String(err);
      send({ type: 'start-failed', message: `cannot listen for proxy traffic: ${why}; choose other addresses with ARCHWAY_PROXY_LISTEN / ARCHWAY_PROXY_SSL_LISTEN` });
      await this.close(0);
      process.exit(1);
    }
  }

  /** The IPC channel closed: counters calls in flight fail now rather than at their timeout. */
  primaryGone(): void {
    this.#node.close();
  }

  close(graceMs: number): Promise<void> {
    return (this.#closing ??= (async () => {
      const deadline = Date.now() + graceMs;
      await this.#proxy.close(graceMs);
      this.#reporter.close();
      // plugin queues (http-log) send what the last requests logged, in what is left of the drain timeout
      await this.#store.flushPlugins(deadline - Date.now());
      await this.#store.close(1_000);
      this.#node.close();
    })());
  }
}

function runWorker(): void {
  const settings = loadSettings('data-plane');
  const logger = createLogger({ level: settings.logLevel, bindings: { role: 'data-plane', worker_pid: process.pid } });
  keepTickObjectShape(); // process-wide, before traffic (tick-object-shape.ts)
  const worker = new Worker(settings, logger);
  const parts = new PartsReceiver();
  // one message at a time, in the order sent: assembling a delta's snapshot runs in time slices
  let received: Promise<void> = Promise.resolve();
  const receive = async (raw: unknown): Promise<void> => {
    let msg: ToWorker | null;
    try {
      msg = await runInSlices(parts.receiveSteps(raw));
    } catch (err) {
      // a change against a snapshot this worker does not hold: the apply fails (the sync client NACKs, the whole snapshot follows)
      const seq = (raw as { seq?: unknown }).seq;
      logger.error('cannot assemble the configuration the primary sent', { err });
      if ((raw as { type?: unknown }).type === 'apply' && typeof seq === 'number') send({ type: 'applied', seq, error: (err as Error).message });
      return;
    }
    if (!msg) return;
    if (msg.type === 'apply' || msg.type === 'start')
      logger.debug('configuration received from the primary', { config_version: msg.snapshot?.version ?? null, ...parts.lastReceived });
    worker.onMessage(msg);
  };
  process.on('message', (raw: unknown) => {
    // a throw handling a message stays an uncaught exception, as when messages were handled at once
    received = received
      .then(() => receive(raw))
      .catch((err: unknown) => {
        setImmediate(() => {
          throw err;
        });
      });
  });
  // the primary died (or closed the channel): nothing will feed or drain this worker any more
  process.on('disconnect', () => {
    worker.primaryGone();
    void worker.close(settings.drainTimeoutMs).then(() => process.exit(0));
  });
  // a signal sent to the whole process group (Ctrl-C) reaches workers too: they drain like the primary asks
  exitOnTermination({ logger, stop: () => worker.close(settings.drainTimeoutMs) });
  send({ type: 'up' });
}

if (require.main === module) runWorker();
