// A data-plane process from the build fed by a control plane's SyncServer run in the test process, so
// a test can publish snapshots the real control plane would never build (tampered, hand-made), on
// free ports in a fresh prefix. Used by nack, workers and streaming e2e tests.
import { emptyConfig, routeSchema, serviceSchema, validateEntity, type ConfigSet, type Route, type Service } from '@archway/schema';
import { silentLogger } from '@archway/telemetry';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyncServer } from '../../apps/control-plane/src/clustering/sync-server';
import { freePort, role, type RoleProcess } from './processes';

export interface SyncedDataPlane {
  server: SyncServer;
  dp: RoleProcess;
  proxyPort: number;
  /** http://127.0.0.1:<proxy port> */
  proxy: string;
  /** http://127.0.0.1:<status port> */
  status: string;
  prefix: string;
  /** Stops the data plane and the sync server, and removes the prefix. */
  stop(): Promise<void>;
}

/** Starts the sync server and a data plane connected to it; `env` adds or overrides ARCHWAY_* settings. */
export async function startSyncedDataPlane(label: string, env: Record<string, string> = {}): Promise<SyncedDataPlane> {
  const server = new SyncServer({ logger: silentLogger, softwareVersion: 'test' });
  const clusterPort = await server.listen('127.0.0.1', 0);
  const [proxyPort, statusPort] = [await freePort(), await freePort()];
  const prefix = mkdtempSync(join(tmpdir(), `archway-e2e-${label}-`));
  const dp = role('dp', 'data-plane', {
    ARCHWAY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    ARCHWAY_PROXY_SSL_LISTEN: '127.0.0.1:0',
    ARCHWAY_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
    ARCHWAY_PREFIX: prefix,
    ...env,
  }).start();
  return {
    server,
    dp,
    proxyPort,
    proxy: `http://127.0.0.1:${proxyPort}`,
    status: `http://127.0.0.1:${statusPort}`,
    prefix,
    async stop() {
      await dp.stop();
      await server.close();
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** A config of one service (`service` fields, validated) and one route per entry of `routes` on it. */
export function serviceConfig(service: Record<string, unknown>, routes: Record<string, unknown>[]): ConfigSet {
  const svc = validateEntity<Service>(serviceSchema, service, 'create');
  return { ...emptyConfig(), services: [svc], routes: routes.map((r) => validateEntity<Route>(routeSchema, { ...r, service: { id: svc.id } }, 'create')) };
}
