// Spec helper for anything through the real proxy: a ProxyServer on 127.0.0.1:0 (plus a TLS listener
// when asked) over a ConfigStore in a fresh temporary prefix, a logger that keeps its lines, and
// `apply` to load a config as the next snapshot version. A status listener serves GET /metrics as the
// data plane wires it (main.ts). `close` undoes all of it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyConfig, makeSnapshot, type ConfigSet } from '@archway/schema';
import type { BalancingOptions } from '../balancers';
import { ConfigStore } from '../config-store';
import type { DownstreamLimits } from '../downstream-limits';
import { ProxyServer } from '../proxy-server';
import { StatusServer } from '../status-server';
import type { PluginSet } from '../runtime-config';
import { memoryLogger } from './fixtures';

export interface TestProxyOptions {
  /** also open the TLS listener (`tlsPort`) */
  tls?: boolean;
  balancing?: BalancingOptions;
  plugins?: PluginSet;
  limits?: Partial<DownstreamLimits>;
}

export interface TestProxy {
  prefix: string;
  logger: ReturnType<typeof memoryLogger>;
  store: ConfigStore;
  proxy: ProxyServer;
  port: number;
  /** the TLS listener's port; 0 unless started with `tls` */
  tlsPort: number;
  /** the status listener's port: GET /metrics (testing/metrics-scrape.ts) */
  statusPort: number;
  /** Applies `config` (over an empty config, unvalidated) as the next snapshot version. */
  apply(config: Partial<ConfigSet>): Promise<void>;
  close(): Promise<void>;
}

export async function startProxy(opts: TestProxyOptions = {}): Promise<TestProxy> {
  const prefix = await mkdtemp(join(tmpdir(), 'archway-proxy-'));
  const logger = memoryLogger();
  const store = new ConfigStore({ prefix, logger, balancing: opts.balancing, plugins: opts.plugins });
  const tls = opts.tls ? { host: '127.0.0.1', port: 0 } : null;
  const proxy = new ProxyServer({ host: '127.0.0.1', port: 0, tls, store, logger, limits: opts.limits });
  const port = await proxy.listen();
  const tlsPort = opts.tls ? await proxy.listenTls() : 0;
  const status = new StatusServer({
    host: '127.0.0.1',
    port: 0,
    logger,
    source: {
      nodeId: 'dp-1',
      zone: 'default',
      config: () => store.current(),
      controlPlane: () => ({ state: 'disconnected', address: null }),
      proxy: () => proxy.stats(),
      metrics: () => {
        store.metrics.collect(proxy.stats().connections_active, store.runtime?.balancers);
        return store.metrics.registry.render();
      },
    },
  });
  const statusPort = await status.listen();
  let version = 0;
  return {
    prefix,
    logger,
    store,
    proxy,
    port,
    tlsPort,
    statusPort,
    apply: (config) => store.apply(makeSnapshot(++version, { ...emptyConfig(), ...config })),
    async close() {
      await proxy.close(0);
      await status.close();
      await store.close(0);
      await rm(prefix, { recursive: true, force: true });
    },
  };
}
