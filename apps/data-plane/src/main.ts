// Data-plane wiring: disk cache -> config store -> proxy + status listeners -> sync client. Logic lives
// in the files this one assembles; here are only their start order and their shutdown order.
import { hostname } from 'node:os';
import { ARCHWAY_VERSION, loadSettings, type ListenAddress, type Settings } from '@archway/config';
import { createLogger, MetricsRegistry, type Logger } from '@archway/telemetry';
import { ConfigStore } from './config-store';
import { HealthReporter } from './health-reporter';
import { findBalancer, upstreamHealthBody } from './upstream-health';
import { resolveNodeId } from './node-id';
import { ProxyServer } from './proxy-server';
import { StatusServer } from './status-server';
import { SyncClient } from './sync/sync-client';
import { DrainState, exitOnTermination } from './drain';
import { limitsOf } from './downstream-limits';
import { startPrimary } from './primary';
import { configureResponseHeaders } from './response-headers-setting';
import { configureTrustedIps } from './trusted-ips';
import { NodeMetrics } from './node-metrics';
import { ProxyMetrics } from './proxy-metrics';
import { keepTickObjectShape } from './tick-object-shape';

/** How long after an apply the disk cache is written (coalescing the applies meanwhile). */
const CACHE_WRITE_DELAY_MS = 1000;

export interface DataPlane {
  /** Stops accepting, lets in-flight requests finish (bounded), stops syncing, closes upstream pools. */
  close(): Promise<void>;
  proxyPort: number;
  /** the TLS proxy listener's port; null when ARCHWAY_PROXY_SSL_LISTEN is off */
  proxySslPort: number | null;
  statusPort: number;
}

export class DataPlaneStartError extends Error {
  readonly code = 'ARCHWAY_DATA_PLANE_START';
}

async function listenOrExplain(listen: () => Promise<number>, what: string, env: string, addr: ListenAddress) {
  try {
    return await listen();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the address is already in use' : code === 'EACCES' ? 'permission denied' : String(err);
    throw new DataPlaneStartError(`cannot listen for ${what} on ${addr.host}:${addr.port}: ${why}; choose another with ${env}`);
  }
}

export async function startDataPlane(settings: Settings, logger: Logger): Promise<DataPlane> {
  const nodeId = await resolveNodeId(settings);
  const log = logger.child({ node_id: nodeId });
  // process-wide, read per request: set before anything listens
  configureResponseHeaders(settings.headers);
  configureTrustedIps(settings.trustedIps);
  const drain = new DrainState();
  let reporter: HealthReporter | null = null;
  const healthChanged = () => reporter?.changed();
  // one registry: the proxy's metrics and the node's (config, sync), served on the status port
  const registry = new MetricsRegistry();
  const nodeMetrics = new NodeMetrics(registry, { id: nodeId, version: ARCHWAY_VERSION });
  const store = new ConfigStore({
    prefix: settings.prefix,
    logger: log.child({ component: 'config' }),
    metrics: new ProxyMetrics(registry),
    // the ACK does not wait for the disk cache: the newest applied config is written within a second, and at shutdown
    cacheDelayMs: CACHE_WRITE_DELAY_MS,
    // ARCHWAY_ZONE's default ('default') means no zone: every target alike
    balancing: { zone: settings.zone === 'default' ? null : settings.zone, onHealthChange: healthChanged, onCircuitChange: healthChanged },
  });
  await store.loadCache(); // serve the last-known-good config at once, before any control plane answers

  const proxy = new ProxyServer({
    ...settings.proxyListen,
    tls: settings.proxySslListen,
    limits: limitsOf(settings),
    store,
    logger: log.child({ component: 'proxy' }),
  });
  const sync = new SyncClient({
    controlPlanes: settings.clusterControlPlane,
    node: { id: nodeId, hostname: hostname(), zone: settings.zone, version: ARCHWAY_VERSION, labels: {} },
    deltas: settings.clusterIncrementalSync,
    logger: log.child({ component: 'sync' }),
    current: () => store.current(),
    // the store's checker passed the disk cache: the first snapshot after a restart is read against it
    checker: store.checker,
    apply: async (snapshot) => {
      await store.apply(snapshot);
      healthChanged();
    },
  });
  reporter = new HealthReporter({
    balancers: () => store.runtime?.balancers,
    send: (report) => sync.reportHealth(report),
    logger: log.child({ component: 'health' }),
  });
  const status = new StatusServer({
    ...settings.statusListen,
    logger: log.child({ component: 'status' }),
    source: {
      nodeId,
      zone: settings.zone,
      config: () => store.current(),
      controlPlane: () => ({ state: sync.state, address: settings.clusterControlPlane.join(',') || null }),
      proxy: () => proxy.stats(),
      draining: () => drain.draining,
      metrics: () => {
        store.metrics.collect(proxy.stats().connections_active, store.runtime?.balancers);
        nodeMetrics.collect(store.current(), sync.state);
        return registry.render();
      },
      upstreamHealth: (key, balancerHealth) => {
        const balancer = findBalancer(store.runtime?.balancers, key);
        return balancer ? upstreamHealthBody(balancer, balancerHealth, nodeId) : null;
      },
    },
  });

  let proxyPort: number;
  let proxySslPort: number | null = null;
  let statusPort: number;
  try {
    proxyPort = await listenOrExplain(() => proxy.listen(), 'proxy traffic', 'ARCHWAY_PROXY_LISTEN', settings.proxyListen);
    if (settings.proxySslListen)
      proxySslPort = await listenOrExplain(() => proxy.listenTls(), 'TLS proxy traffic', 'ARCHWAY_PROXY_SSL_LISTEN', settings.proxySslListen);
    statusPort = await listenOrExplain(() => status.listen(), 'status', 'ARCHWAY_STATUS_LISTEN', settings.statusListen);
  } catch (err) {
    await Promise.allSettled([proxy.close(0), status.close(), store.close(0)]);
    throw err;
  }

  sync.on('config', (result, received, ms) => nodeMetrics.configApplied(result, received, ms));
  // 'connected' is news; the connecting/disconnected churn of a retry loop is already warned about by the sync client
  sync.on('state', (state) =>
    state === 'connected'
      ? log.info('control plane connection state changed', { state })
      : log.debug('control plane connection state changed', { state }),
  );
  reporter.start();
  sync.start();
  log.info('data plane started', { proxy_port: proxyPort, proxy_ssl_port: proxySslPort, status_port: statusPort, zone: settings.zone });

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      log.info('data plane shutting down', { drain_timeout_ms: settings.drainTimeoutMs });
      drain.begin(); // /status/ready answers 503 first, so load balancers stop sending
      const deadline = Date.now() + settings.drainTimeoutMs;
      await proxy.close(settings.drainTimeoutMs);
      reporter?.close();
      // plugin queues (http-log) send what the last requests logged, in what is left of the drain timeout
      await Promise.allSettled([store.flushPlugins(deadline - Date.now()), sync.stop(), status.close()]);
      await store.close(1_000);
      log.info('data plane stopped');
    })());
  return { close, proxyPort, proxySslPort, statusPort };
}

async function runFromCommandLine(): Promise<void> {
  let settings: Settings;
  try {
    settings = loadSettings('data-plane');
  } catch (err) {
    process.stderr.write(`archway data-plane: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const logger = createLogger({ level: settings.logLevel, bindings: { role: 'data-plane' } });
  keepTickObjectShape(); // process-wide, before traffic (tick-object-shape.ts)
  let dp: DataPlane;
  try {
    // ARCHWAY_WORKERS > 1: this process becomes the primary of that many proxy workers (primary.ts)
    dp = settings.workers > 1 ? await startPrimary(settings, logger) : await startDataPlane(settings, logger);
  } catch (err) {
    logger.error('data plane failed to start', { err });
    process.stderr.write(`archway data-plane: ${(err as Error).message}\n`);
    process.exit(1);
  }
  exitOnTermination({ logger, stop: () => dp.close() });
}

if (require.main === module) void runFromCommandLine();
