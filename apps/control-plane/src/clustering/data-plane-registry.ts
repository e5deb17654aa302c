// What the control plane knows about each data plane, keyed by node id, for GET /clustering/data-planes.
// Each entry is owned by the stream that last connected with that id: a data plane that reconnects takes
// its entry over, and late events from its old stream no longer change it. Memory only (for now).
// Each entry also keeps the data plane's latest upstream health report (reported-health.ts reads them).
import type { HealthReport__Output } from '@archway/sync';
import { indexHealth, type HealthReportEntry, type IndexedHealth } from './reported-health';

/** The config a data plane reports it serves (null before it serves one, or when it does not say). */
export interface ServedConfig {
  version: number | null;
  hash: string | null;
}

/** Kong's sync_status values, plus `config_nack` for a data plane that rejected the newest config. */
export type SyncStatus = 'unknown' | 'normal' | 'config_nack';

export interface NackDetail {
  /** the gRPC status code the data plane reported (3 = INVALID_ARGUMENT for a rejected config) */
  code: number;
  message: string;
  /** the version and hash it rejected */
  config_version: number;
  config_hash: string;
  /** epoch seconds */
  at: number;
}

export interface DataPlaneStatus {
  id: string;
  hostname: string;
  ip: string;
  zone: string;
  labels: Record<string, string>;
  /** the data plane's Archway software version */
  version: string;
  sync_status: SyncStatus;
  /** the config version and hash it serves, as it last reported them; null when it serves none */
  config_version: number | null;
  config_hash: string | null;
  /** epoch seconds of the last message, or now while the stream is up (gRPC keepalive guards it) */
  last_seen: number;
  /** the last NACK, kept after later ACKs so an operator can see what was rejected */
  last_error: NackDetail | null;
  connected: boolean;
}

export interface NodeInfo {
  id: string;
  hostname: string;
  zone: string;
  version: string;
  labels: Record<string, string>;
}

interface Entry {
  owner: object;
  status: DataPlaneStatus;
  /** the latest health report of this stream, and when it arrived (ms) */
  health: IndexedHealth | null;
  healthAt: number;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export class DataPlaneRegistry {
  readonly #entries = new Map<string, Entry>();

  /** A stream identified itself; it replaces whatever entry had that id. */
  connect(owner: object, node: NodeInfo, ip: string, served: ServedConfig): void {
    const previous = this.#entries.get(node.id)?.status;
    this.#entries.set(node.id, {
      owner,
      status: {
        id: node.id,
        hostname: node.hostname,
        ip,
        zone: node.zone,
        labels: { ...node.labels },
        version: node.version,
        sync_status: 'unknown',
        config_version: served.version,
        config_hash: served.hash,
        last_seen: nowSeconds(),
        last_error: previous?.last_error ?? null,
        connected: true,
      },
      health: null,
      healthAt: 0,
    });
  }

  /** The owning stream's data plane reported its upstreams' health; it replaces the previous report. */
  reportHealth(owner: object, id: string, report: HealthReport__Output): void {
    const entry = this.#entries.get(id);
    if (!entry || entry.owner !== owner) return;
    entry.health = indexHealth(report);
    entry.healthAt = Date.now();
    entry.status = { ...entry.status, last_seen: nowSeconds() };
  }

  /** The health reports of connected data planes (a disconnected one's view is stale). */
  *healthReports(): Iterable<HealthReportEntry> {
    for (const [nodeId, e] of this.#entries)
      if (e.status.connected && e.health !== null) yield { nodeId, at: e.healthAt, health: e.health };
  }

  /** Applies `patch` to the entry only if `owner` is still the stream that owns it. */
  update(owner: object, id: string, patch: Partial<Omit<DataPlaneStatus, 'id'>>): void {
    const entry = this.#entries.get(id);
    if (!entry || entry.owner !== owner) return;
    entry.status = { ...entry.status, ...patch, last_seen: nowSeconds() };
  }

  /** The owning stream closed; a stream that was already replaced changes nothing. */
  disconnect(owner: object, id: string): void {
    this.update(owner, id, { connected: false });
  }

  get(id: string): DataPlaneStatus | undefined {
    const entry = this.#entries.get(id);
    return entry ? this.#view(entry.status) : undefined;
  }

  /** Copies, ordered by id, so callers cannot change the registry. */
  list(): DataPlaneStatus[] {
    return [...this.#entries.values()].map((e) => this.#view(e.status)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  #view(s: DataPlaneStatus): DataPlaneStatus {
    return {
      ...s,
      labels: { ...s.labels },
      last_error: s.last_error ? { ...s.last_error } : null,
      last_seen: s.connected ? nowSeconds() : s.last_seen,
    };
  }
}
