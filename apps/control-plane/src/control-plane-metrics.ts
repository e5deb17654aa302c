// What a control plane measures for Prometheus (GET /metrics on the Admin API): the configuration version
// it publishes, its data planes (connected ones by zone, Kong's data_plane_last_seen), and how long
// snapshots take to build. The data planes' own metrics are on their status port (docs/operations.md).
import type { Snapshot } from '@archway/schema';
import { MetricsRegistry, type Counter, type Gauge, type Histogram } from '@archway/telemetry';

/** Snapshot build time buckets (ms): a handful of entities to a hundred thousand. */
export const SNAPSHOT_BUILD_BUCKETS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

/** What the metrics read of a data plane (the clustering server's DataPlaneStatus). */
export interface DataPlaneSummary {
  id: string;
  hostname: string;
  zone: string;
  connected: boolean;
  /** epoch seconds */
  last_seen: number;
}

export class ControlPlaneMetrics {
  readonly registry = new MetricsRegistry();
  readonly #configVersion: Gauge;
  readonly #connected: Gauge;
  readonly #lastSeen: Gauge;
  readonly #buildMs: Histogram;
  readonly #builds: Counter;

  constructor() {
    const r = this.registry;
    this.#configVersion = r.gauge({ name: 'archway_control_plane_config_version', help: 'Version of the newest snapshot published to data planes (absent before the first)' });
    this.#connected = r.gauge({ name: 'archway_data_planes_connected', help: 'Data planes with an open sync stream, by zone', labelNames: ['zone'] });
    this.#lastSeen = r.gauge({ name: 'archway_data_plane_last_seen', help: 'Last time data plane contacted control plane (epoch seconds)', labelNames: ['node_id', 'hostname'] });
    this.#buildMs = r.histogram({ name: 'archway_snapshot_build_ms', help: 'Time to build a snapshot from the database (ms)', buckets: SNAPSHOT_BUILD_BUCKETS });
    this.#builds = r.counter({ name: 'archway_snapshot_builds_total', help: 'Snapshot builds, by result: ok or error (the previous snapshot keeps being served)', labelNames: ['result'] });
    this.#builds.labels('ok');
    this.#builds.labels('error');
  }

  /** The snapshot scheduler built (or failed to build) a snapshot in `ms`. */
  snapshotBuilt(ms: number, ok: boolean): void {
    if (ok) this.#buildMs.labels().observe(ms);
    this.#builds.labels(ok ? 'ok' : 'error').inc();
  }

  /** Scrape time: reads the published snapshot and the data planes, then renders every metric. */
  render(latest: Snapshot | null, dataPlanes: readonly DataPlaneSummary[]): string {
    if (latest) this.#configVersion.labels().set(latest.version);
    else this.#configVersion.reset();
    this.#connected.reset();
    this.#lastSeen.reset();
    for (const dp of dataPlanes) {
      if (dp.connected) this.#connected.labels(dp.zone).inc();
      this.#lastSeen.labels(dp.id, dp.hostname).set(dp.last_seen);
    }
    return this.registry.render();
  }
}
