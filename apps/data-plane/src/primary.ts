// The data plane with ARCHWAY_WORKERS > 1: this process (the primary) holds the one sync connection,
// the status listener, the disk cache and the state the workers share (node-state/: rate-limiting
// counters, upstream health and its active checks); the proxy listeners run in the workers
// (workers.ts), which node:cluster lets share the listening sockets. A snapshot is checked here, once
// (the sync client checks hash and schema), applied by every worker (which trust the check and only
// compile), cached, then ACKed; see workers.ts for the rule when only some workers apply it.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ARCHWAY_VERSION, type Settings } from '@archway/config';
import { mergeSnapshots, MetricsRegistry, renderText, type Logger } from '@archway/telemetry';
import { DrainState } from './drain';
import type { DataPlane } from './main';
import { NodeMetrics } from './node-metrics';
import { resolveNodeId } from './node-id';
import { NodeStateServer } from './node-state/node-state-server';
import type { ProxyStats } from './proxy-server';
import { SnapshotCache } from './snapshot-cache';
import { StatusServer } from './status-server';
import { SyncClient } from './sync/sync-client';
import { clusterFork, WorkerPool, type WorkerHandle } from './workers';

export class WorkersStartError extends Error {
  readonly code = 'ARCHWAY_DATA_PLANE_START';
}

export interface PrimaryOptions {
  /** how workers are made (default: node:cluster workers running worker-main.js) */
  fork?: () => WorkerHandle;
}

export async function startPrimary(settings: Settings, logger: Logger, opts: PrimaryOptions = {}): Promise<DataPlane> {
  const nodeId = await resolveNodeId(settings);
  const log = logger.child({ node_id: nodeId });
  const cache = new SnapshotCache(settings.prefix, log.child({ component: 'config' }));
  const drain = new DrainState();
  // the node's metrics (config, sync) live here; the proxy's are the workers', summed at each scrape
  const registry = new MetricsRegistry();
  const nodeMetrics = new NodeMetrics(registry, { id: nodeId, version: ARCHWAY_VERSION });
  let sync: SyncClient | null = null;
  // the state the workers share (rate-limiting counters, upstream health): kept here, reached over IPC
  const node = new NodeStateServer({ logger: log.child({ component: 'node-state' }) });
  const initial = await cache.read(); // served by every worker at once, before any control plane answers
  if (initial) void node.health.apply(initial);
  const pool = new WorkerPool({
    count: settings.workers,
    // workers read the same environment; the node id is fixed here so they all report the same one
    fork: node.forkWith(opts.fork ?? clusterFork(join(__dirname, 'worker-main.js'), log, { ARCHWAY_NODE_ID: nodeId })),
    logger: log.child({ component: 'workers' }),
    initial,
    onHealth: (report) => sync?.reportHealth(report),
  });
  let started = false;
  const served = () => (started && pool.current ? { version: pool.current.version, hash: pool.current.hash } : null);
  sync = new SyncClient({
    controlPlanes: settings.clusterControlPlane,
    node: { id: nodeId, hostname: hostname(), zone: settings.zone, version: ARCHWAY_VERSION, labels: {} },
    deltas: settings.clusterIncrementalSync,
    logger: log.child({ component: 'sync' }),
    current: () => pool.current && { version: pool.current.version, hash: pool.current.hash },
    // the cache's checker passed the config the workers start with: the first snapshot is read against it
    checker: cache.checker,
    apply: async (snapshot) => {
      await pool.apply(snapshot);
      log.info('configuration applied by every worker', { config_version: snapshot.version, configuration_hash: snapshot.hash });
      void node.health.apply(snapshot); // the node's health checks follow; the ACK does not wait for their DNS
      cache.writeLater(snapshot); // the ACK does not wait for the disk either (coalesced; written at shutdown too)
    },
  });
  // the status listener first, as the proxy's workers start serving one by one: not ready until all listen
  const status = new StatusServer({
    ...settings.statusListen,
    logger: log.child({ component: 'status' }),
    source: {
      nodeId,
      zone: settings.zone,
      config: served,
      controlPlane: () => ({ state: sync?.state ?? 'disconnected', address: settings.clusterControlPlane.join(',') || null }),
      proxy: () => pool.stats() as Promise<unknown> as Promise<ProxyStats>,
      upstreamHealth: (key, balancerHealth) => pool.upstreamHealth(key, balancerHealth),
      draining: () => drain.draining,
      metrics: async () => {
        const workers = await pool.metrics();
        nodeMetrics.collect(served(), sync?.state ?? 'disconnected');
        return renderText(mergeSnapshots([registry.snapshot(), ...workers]));
      },
    },
  });
  let statusPort: number;
  try {
    statusPort = await status.listen();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new WorkersStartError(`cannot listen for status on ${settings.statusListen.host}:${settings.statusListen.port}: ${code ?? err}; choose another with ARCHWAY_STATUS_LISTEN`);
  }
  try {
    await pool.start();
  } catch (err) {
    node.close();
    await status.close();
    throw new WorkersStartError((err as Error).message);
  }
  started = true;
  const ports = pool.ports ?? { proxyPort: 0, proxySslPort: null };
  sync.on('config', (result, received, ms) => nodeMetrics.configApplied(result, received, ms));
  sync.on('state', (state) =>
    state === 'connected'
      ? log.info('control plane connection state changed', { state })
      : log.debug('control plane connection state changed', { state }),
  );
  sync.start();
  log.info('data plane started', { proxy_port: ports.proxyPort, proxy_ssl_port: ports.proxySslPort, status_port: statusPort, workers: settings.workers });

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      log.info('data plane draining', { drain_timeout_ms: settings.drainTimeoutMs });
      drain.begin(); // /status/ready answers 503 from now on
      await pool.shutdown(settings.drainTimeoutMs);
      node.close();
      await Promise.allSettled([sync?.stop(), status.close(), cache.idle()]);
      log.info('data plane stopped');
    })());
  return { close, proxyPort: ports.proxyPort, proxySslPort: ports.proxySslPort, statusPort };
}
