// The control plane: database (+ migrations), Admin API, snapshot scheduler and the sync server.
import 'reflect-metadata';
import { ARCHWAY_VERSION, loadSettings, type Settings } from '@archway/config';
import { pluginSchema } from '@archway/plugins';
import { ENTITY_SCHEMAS, type Snapshot } from '@archway/schema';
import { createLogger, startTracing, tracingEnabled, withSpanSync, type Env, type Logger, type Tracing } from '@archway/telemetry';
import { hostname } from 'node:os';
import { startAdminServer } from './admin/admin-server';
import { SyncServer } from './clustering/sync-server';
import { persistentNodeId } from './node-id';
import { SnapshotBuilder } from './snapshots/build-snapshot';
import { ConfigListener } from './snapshots/config-listener';
import { SnapshotScheduler } from './snapshots/snapshot-scheduler';
import { ControlPlaneMetrics } from './control-plane-metrics';
import { openDatabase } from './store/database';
import { CONFIG_CHANNEL, EntityStore } from './store/entity-store';
import { ConfigHistory } from './store/history';
import { tableSpec } from './store/table-spec';

/** How often the snapshot builder reads every row again instead of only the rows written since. */
const FULL_BUILD_EVERY_MS = 10 * 60_000;

export interface ControlPlane {
  adminPort: number;
  clusterPort: number;
  close(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** where the standard OTEL_* variables are read (process.env for the process; specs pass their own) */
  env?: Env;
}

/** The 'snapshot publish' span: the version sent, its bytes on the wire and the streams it is offered to. */
function tracedPublish(sync: SyncServer): (snapshot: Snapshot) => void {
  return (snapshot) => {
    if (!tracingEnabled()) return sync.publish(snapshot);
    withSpanSync('snapshot publish', { 'archway.config.version': snapshot.version }, (span) => {
      sync.publish(snapshot);
      const wire = sync.wireInfo(snapshot);
      span.setAttributes({ 'archway.snapshot.bytes': wire.bytes, 'archway.snapshot.streams': wire.streams });
    });
  };
}

export async function startControlPlane(settings: Settings, logger: Logger, opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const tracing: Tracing | null = await startTracing({
    env: opts.env ?? {},
    serviceName: 'archway-control-plane',
    serviceVersion: ARCHWAY_VERSION,
    logger,
  });
  try {
    return await startTracedControlPlane(settings, logger, tracing);
  } catch (err) {
    await tracing?.shutdown();
    throw err;
  }
}

async function startTracedControlPlane(settings: Settings, logger: Logger, tracing: Tracing | null): Promise<ControlPlane> {
  const db = await openDatabase(settings, logger, { migrate: true });
  const store = new EntityStore(db.ds, new Map(ENTITY_SCHEMAS.map((s) => [s.name, tableSpec(s)])));
  const history = new ConfigHistory(db.ds.manager, store, settings.historyRetention);
  const pruning = setInterval(() => history.prune().catch((err) => logger.warn('history pruning failed', { err })), 60_000);
  pruning.unref();
  const sync = new SyncServer({ logger: logger.child({ component: 'sync' }), softwareVersion: ARCHWAY_VERSION });
  // keeps its last build: each build reads, checks and hashes only the rows written since
  const builder = new SnapshotBuilder(store);
  const metrics = new ControlPlaneMetrics();
  const snapshotLogger = logger.child({ component: 'snapshots' });
  const snapshots = new SnapshotScheduler({
    debounceMs: settings.snapshotDebounceMs,
    maxDelayMs: settings.snapshotMaxDelayMs,
    build: async () => {
      const snapshot = await builder.build();
      const info = builder.lastBuild;
      if (info.mode === 'full') snapshotLogger.info('snapshot built from every row', { config_version: snapshot.version, rows: info.rows, reason: info.reason });
      return snapshot;
    },
    publish: tracedPublish(sync),
    logger: snapshotLogger,
    onBuild: (ms, ok) => metrics.snapshotBuilt(ms, ok),
  });
  // a full build now and then re-reads every row: a row changed behind the Admin API's back (by hand
  // in SQL) reaches the data planes within this period; published only if the hash differs
  const fullBuilds = setInterval(() => {
    builder.requestFullBuild('periodic');
    snapshots.trigger();
  }, FULL_BUILD_EVERY_MS);
  fullBuilds.unref();
  const listener = new ConfigListener(db.url, CONFIG_CHANNEL, (v) => snapshots.trigger(v), logger);
  const closers: (() => Promise<void>)[] = [];
  try {
    await listener.start();
    closers.push(() => listener.close());
    await snapshots.flush();
    const clusterPort = await sync.listen(settings.clusterListen.host, settings.clusterListen.port);
    closers.push(() => sync.close());
    logger.info('cluster listener started', { address: `${settings.clusterListen.host}:${clusterPort}` });
    const admin = await startAdminServer(
      {
        store,
        snapshots,
        directory: sync,
        plugins: pluginSchema,
        history,
        targetHealth: sync.targetHealth,
        metrics,
        node: {
          nodeId: persistentNodeId(settings.prefix, 'control-plane.id'),
          hostname: hostname(),
          version: ARCHWAY_VERSION,
          configuration: {
            role: settings.role,
            admin_listen: settings.adminListen,
            cluster_listen: settings.clusterListen,
            database: db.embedded ? 'embedded' : 'postgres',
            prefix: settings.prefix,
          },
        },
      },
      settings.adminListen,
      logger.child({ component: 'admin' }),
      settings.adminTokens,
    );
    closers.push(() => admin.close());
    return {
      adminPort: admin.port,
      clusterPort,
      close: async () => {
        clearInterval(pruning);
        clearInterval(fullBuilds);
        snapshots.close();
        for (const close of closers.reverse()) await close().catch((err) => logger.warn('close failed', { err }));
        await db.close();
        await tracing?.shutdown();
      },
    };
  } catch (err) {
    clearInterval(pruning);
    clearInterval(fullBuilds);
    snapshots.close();
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await db.close();
    throw err;
  }
}

/** Runs the control plane as a process until SIGINT/SIGTERM. */
export async function runControlPlane(role: 'control-plane' | 'all-in-one' = 'control-plane'): Promise<void> {
  let settings: Settings;
  try {
    settings = loadSettings(role);
  } catch (err) {
    process.stderr.write(`archway: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const logger = createLogger({ level: settings.logLevel, bindings: { role: 'control-plane' } });
  let cp: ControlPlane;
  try {
    cp = await startControlPlane(settings, logger, { env: process.env });
  } catch (err) {
    logger.error('control plane failed to start', { err });
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('control plane stopping', { signal });
    cp.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) void runControlPlane();
