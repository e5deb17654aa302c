// The control plane's end of the sync protocol: a gRPC server for ConfigSync.StreamConfig that pushes
// the newest snapshot to every connected data plane and records what each one serves. Plain class; the
// Nest module wraps it. Per-stream rules live in sync-session.ts.
import * as grpc from '@grpc/grpc-js';
import { deltaSize, entityCount, EntityDigests, type Snapshot } from '@archway/schema';
import { configSyncServiceSendingBytes, encodeDeltaField, SnapshotEncoder } from '@archway/sync';
import type { Logger } from '@archway/telemetry';
import { DataPlaneRegistry, type DataPlaneStatus, type ServedConfig } from './data-plane-registry';
import { DeltaBases, type PublishedSnapshot } from './delta-bases';
import { ReportedHealth } from './reported-health';
import { SyncSession, type EncodedDelta, type SessionContext, type SyncCall, type SyncSent } from './sync-session';

export interface SyncServerOptions {
  logger: Logger;
  /** the control plane's Archway version, sent in every response */
  softwareVersion: string;
  /** TLS/mTLS for the cluster listener; insecure when omitted */
  credentials?: grpc.ServerCredentials;
  /** how often to ping an idle data plane so a dead one is noticed (default 30 s) */
  keepaliveTimeMs?: number;
  /** how long a ping may go unanswered before the stream is dropped (default 10 s) */
  keepaliveTimeoutMs?: number;
}

const SHUTDOWN_GRACE_MS = 2000;

export class SyncServer {
  readonly #opts: SyncServerOptions;
  readonly #log: Logger;
  readonly #registry = new DataPlaneRegistry();
  /** target health as connected data planes report it (the Admin API's GET /upstreams/{u}/health) */
  readonly targetHealth = new ReportedHealth(() => this.#registry.healthReports());
  readonly #sessions = new Set<SyncSession>();
  /**
   * the newest snapshot's bytes on the wire, encoded once however many streams it goes to (only the
   * newest: the older ones kept as delta bases would otherwise keep megabytes each)
   */
  #encoded: { snapshot: Snapshot; bytes: Buffer } | null = null;
  /** keeps each entity's message: a snapshot after a write encodes only the entities written */
  readonly #encoder = new SnapshotEncoder();
  /** the newest snapshot's deltas, by base, each computed and encoded once (null: none worth sending); emptied on publish */
  readonly #deltas = new Map<Snapshot, EncodedDelta | null>();
  /** the snapshots published before the newest that its deltas may start from */
  readonly #bases = new DeltaBases(new EntityDigests());
  readonly #sent: SyncSent = { snapshots: 0, deltas: 0, snapshotBytes: 0, deltaBytes: 0 };
  readonly #context: SessionContext;
  #latest: PublishedSnapshot | null = null;
  #server: grpc.Server | null = null;

  constructor(opts: SyncServerOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#context = {
      logger: opts.logger,
      softwareVersion: opts.softwareVersion,
      registry: this.#registry,
      latest: () => this.#latest,
      encode: (snapshot) => this.#encode(snapshot),
      delta: (snapshot, served) => this.#delta(snapshot, served),
      sent: this.#sent,
      closed: (session) => this.#sessions.delete(session),
    };
  }

  /** Binds host:port (port 0 picks a free one) and resolves the bound port. */
  listen(host: string, port: number): Promise<number> {
    if (this.#server) return Promise.reject(new Error('sync server is already listening'));
    const server = new grpc.Server({
      'grpc.keepalive_time_ms': this.#opts.keepaliveTimeMs ?? 30_000,
      'grpc.keepalive_timeout_ms': this.#opts.keepaliveTimeoutMs ?? 10_000,
    });
    server.addService(configSyncServiceSendingBytes(), { StreamConfig: (call: SyncCall) => this.#accept(call) });
    const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
    const creds = this.#opts.credentials ?? grpc.ServerCredentials.createInsecure();
    return new Promise((resolve, reject) => {
      server.bindAsync(address, creds, (err, bound) => {
        if (err) {
          server.forceShutdown();
          reject(Object.assign(new Error(`cannot listen for data planes on ${address}: ${err.message}`), { code: 'ARCHWAY_CLUSTER_LISTEN' }));
          return;
        }
        this.#server = server;
        resolve(bound);
      });
    });
  }

  /**
   * Makes `snapshot` the newest; every stream that needs it gets it (older ones are ignored). `changes`
   * (the builder's, when it built incrementally) is its delta from the snapshot it was built from: when
   * that is the one published before, the delta is not computed again by comparing the two configs.
   */
  publish(snapshot: PublishedSnapshot): void {
    const current = this.#latest;
    if (current && snapshot.version < current.version) {
      this.#log.warn('older snapshot not published', { version: snapshot.version, newest: current.version });
      return;
    }
    if (current && current.version === snapshot.version && current.hash === snapshot.hash) return;
    if (current) this.#bases.advance(current, snapshot);
    this.#latest = snapshot;
    this.#deltas.clear();
    for (const session of this.#sessions) session.offer();
  }

  /** `snapshot`'s bytes on the wire (encoded once, as for the streams), and how many streams are open. */
  wireInfo(snapshot: Snapshot): { bytes: number; streams: number } {
    return { bytes: this.#encode(snapshot).length, streams: this.#sessions.size };
  }

  /** The newest published snapshot, or null. */
  latest(): Snapshot | null {
    return this.#latest;
  }

  /** What went out on all streams since start: whole snapshots and deltas, counts and bytes. */
  sent(): Readonly<SyncSent> {
    return { ...this.#sent };
  }

  /** Every data plane seen since start, connected or not (GET /clustering/data-planes). */
  dataPlanes(): DataPlaneStatus[] {
    return this.#registry.list();
  }

  /** Ends every stream (data planes reconnect, possibly elsewhere) and stops listening. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const session of [...this.#sessions]) session.end(grpc.status.UNAVAILABLE, 'control plane is shutting down');
    if (!server) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  #accept(call: SyncCall): void {
    this.#sessions.add(new SyncSession(call, this.#context));
  }

  /**
   * The delta that turns `served` into `snapshot`, encoded once for every stream serving that config;
   * null when there is none: `snapshot` is not the newest, `served` is not a base kept (delta-bases.ts),
   * or the delta would change as many entities as the snapshot holds (the whole snapshot is then no
   * larger).
   */
  #delta(snapshot: Snapshot, served: ServedConfig): EncodedDelta | null {
    const latest = this.#latest;
    if (snapshot !== latest) return null;
    const base = this.#bases.find(served);
    if (!base) return null;
    const cached = this.#deltas.get(base);
    if (cached !== undefined) return cached;
    const started = performance.now();
    const changes = this.#bases.changes(base);
    const size = deltaSize(changes);
    let encoded: EncodedDelta | null = null;
    if (size < entityCount(snapshot.config)) {
      const bytes = encodeDeltaField({ baseVersion: base.version, baseHash: base.hash, version: snapshot.version, hash: snapshot.hash, upserted: changes.upserted, removed: changes.removed });
      const full = this.#encoded?.snapshot === snapshot ? this.#encoded.bytes : undefined;
      if (!full || bytes.length < full.length) encoded = { baseVersion: base.version, baseHash: base.hash, bytes, entities: size };
    }
    this.#deltas.set(base, encoded);
    this.#log.debug('snapshot delta computed', { version: snapshot.version, base_version: base.version, entities: size, bytes: encoded?.bytes.length ?? null, ms: Math.round(performance.now() - started) });
    return encoded;
  }

  #encode(snapshot: Snapshot): Buffer {
    if (this.#encoded?.snapshot === snapshot) return this.#encoded.bytes;
    const bytes = this.#encoder.encodeField(snapshot);
    if (snapshot === this.#latest) this.#encoded = { snapshot, bytes };
    return bytes;
  }
}
