// What the data-plane process that holds the sync connection measures (the only process, or the primary
// of the proxy workers): the node, the configuration it serves, ACKs and NACKs, the control-plane link.
import { MetricsRegistry, type Counter, type Gauge, type Histogram } from '@archway/telemetry';
import type { SyncState } from './sync/sync-client';

export type ConfigResult = 'ack' | 'nack';
/** how a configuration arrived: a whole snapshot, or a delta against the one served */
export type ConfigKind = 'snapshot' | 'delta';

/**
 * A configuration hash as a number, as Kong's data_plane_config_hash is: its first 13 hex digits
 * (52 bits, exact in a float), enough to tell two hashes apart on a dashboard.
 */
export function configHashValue(hash: string): number {
  const n = parseInt(hash.slice(0, 13), 16);
  return Number.isFinite(n) ? n : 0;
}

/** Buckets (ms) of the time to apply a configuration: a delta takes a few ms, a whole 10,000-route snapshot seconds. */
export const CONFIG_APPLY_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000];

export class NodeMetrics {
  readonly #configVersion: Gauge;
  readonly #configHash: Gauge;
  readonly #applies: Counter;
  readonly #syncConnected: Gauge;
  readonly #messages: Counter;
  readonly #bytes: Counter;
  readonly #applyMs: Histogram;

  constructor(
    readonly registry: MetricsRegistry,
    node: { id: string; version: string },
  ) {
    const r = registry;
    r.gauge({ name: 'archway_node_info', help: 'Archway node metadata information', labelNames: ['node_id', 'version'], merge: 'max' }).labels(node.id, node.version).set(1);
    this.#configVersion = r.gauge({ name: 'archway_data_plane_config_version', help: 'Version of the configuration the data plane serves (absent before the first)', merge: 'max' });
    this.#configHash = r.gauge({
      name: 'archway_data_plane_config_hash',
      help: 'Numeric value of the served configuration hash (its first 13 hex digits; absent before the first)',
      merge: 'max',
    });
    this.#applies = r.counter({ name: 'archway_config_applies_total', help: 'Configurations received from the control plane, by answer: ack (applied) or nack (rejected)', labelNames: ['result'] });
    this.#applies.labels('ack');
    this.#applies.labels('nack');
    this.#messages = r.counter({ name: 'archway_sync_messages_total', help: 'Configurations received from the control plane, by kind: snapshot (whole) or delta', labelNames: ['kind'] });
    this.#bytes = r.counter({ name: 'archway_sync_received_bytes_total', help: 'Bytes of the configurations received from the control plane, by kind: snapshot or delta', labelNames: ['kind'] });
    this.#applyMs = r.histogram({
      name: 'archway_config_apply_ms',
      help: 'Time from taking up a configuration to its ACK (decoded, checked, compiled and served; by every worker), by kind: snapshot or delta',
      labelNames: ['kind'],
      buckets: CONFIG_APPLY_BUCKETS,
    });
    for (const kind of ['snapshot', 'delta']) {
      this.#messages.labels(kind);
      this.#bytes.labels(kind);
      this.#applyMs.labels(kind);
    }
    this.#syncConnected = r.gauge({ name: 'archway_sync_connected', help: 'Whether the sync stream to a control plane is connected (1) or not (0)', merge: 'max' });
  }

  /** The sync client answered a snapshot or a delta of `bytes` on the wire, `ms` after taking it up. */
  configApplied(result: ConfigResult, received?: { kind: ConfigKind; bytes: number }, ms?: number): void {
    this.#applies.labels(result).inc();
    if (!received) return;
    this.#messages.labels(received.kind).inc();
    this.#bytes.labels(received.kind).inc(received.bytes);
    if (result === 'ack' && ms !== undefined) this.#applyMs.labels(received.kind).observe(ms);
  }

  /** Scrape time: the served configuration and the sync connection. */
  collect(config: { version: number; hash: string } | null, sync: SyncState): void {
    if (config) {
      this.#configVersion.labels().set(config.version);
      this.#configHash.labels().set(configHashValue(config.hash));
    } else {
      this.#configVersion.reset();
      this.#configHash.reset();
    }
    this.#syncConnected.labels().set(sync === 'connected' ? 1 : 0);
  }
}
