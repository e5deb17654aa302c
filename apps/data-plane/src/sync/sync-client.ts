// The data plane's end of the sync protocol (docs/sync-protocol.md). It dials the control planes in
// order, keeps one ConfigSync.StreamConfig stream open, applies each snapshot it receives (the newest
// only, one at a time) and ACKs or NACKs it. It never throws: failures are logged and retried with
// capped exponential backoff and full jitter; the data plane keeps serving what it has meanwhile.
// A snapshot is decoded from its bytes and checked (hash, validation: snapshot-check.ts) here, once,
// in time slices (time-slices.ts), so a large one does not stall the proxy sharing this event loop;
// apply() receives it checked. A delta (the "delta" capability, announced in the hello) is applied to
// the last snapshot that passed and checked in O(changes); apply() receives the resulting whole snapshot.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { pluginSchema } from '@archway/plugins';
import type { PluginLookup, Snapshot } from '@archway/schema';
import {
  Backoff, decodeRawSyncResponse, formatVersionInfo, openRawConfigStream, prepareSnapshotDecoding,
  type HealthReport, type RawConfigStream, type RawSyncResponse, type SyncRequest,
} from '@archway/sync';
import type { Logger } from '@archway/telemetry';
import type { CheckedSnapshot, SnapshotChecker } from '../snapshot-check';
import { ConfigReceiver, type ReceivedConfig, type SyncReceived } from './config-receiver';

export type { ReceivedConfig, SyncReceived };
import { runInSlices } from '../time-slices';
import { LatestOnly } from './latest-only';

export interface NodeIdentity {
  id: string;
  hostname: string;
  zone: string;
  /** the data plane's Archway software version */
  version: string;
  labels: Record<string, string>;
}

export type SyncState = 'connecting' | 'connected' | 'disconnected';
/** An answered configuration: `ms` from taking it up to the answer (see `on('config')`). */
export type ConfigListener = (result: 'ack' | 'nack', received: ReceivedConfig, ms: number) => void;

const round2 = (ms: number): number => Math.round(ms * 100) / 100;

export interface SyncClientOptions {
  /** host:port of each control plane, tried in order */
  controlPlanes: string[];
  node: NodeIdentity;
  logger: Logger;
  /** what the data plane serves now (from its cache or its last apply), or null */
  current: () => { version: number; hash: string } | null;
  /** swaps a checked snapshot in; throwing means NACK with the error's message, keep serving the old one */
  apply: (snapshot: CheckedSnapshot) => Promise<void> | void;
  /**
   * the checker of the data plane's other checks (its config store's or disk cache's, default: one of
   * its own): the config it checked at start (the disk cache) is then what the first snapshot from a
   * control plane is read against, entity by entity, instead of checked and compiled whole
   */
  checker?: SnapshotChecker;
  /** the plugin schemas snapshots are validated with (default: the bundled plugins') */
  plugins?: PluginLookup;
  backoff?: { initialMs?: number; maxMs?: number; random?: () => number };
  /** TLS/mTLS to the control planes; insecure when omitted */
  credentials?: grpc.ChannelCredentials;
  /** ping interval on the stream, so a dead control plane is noticed (default 30 s) */
  keepaliveTimeMs?: number;
  /** unanswered ping => connection dropped (default 10 s) */
  keepaliveTimeoutMs?: number;
  /** a control plane that has not accepted the stream by then counts as failed (default 10 s) */
  connectTimeoutMs?: number;
  /** largest snapshot accepted (default 256 MiB; gRPC's own default of 4 MiB is too small for big configs) */
  maxMessageBytes?: number;
  /** announce the "delta" capability: the control plane may send deltas (default true; false behaves as older data planes) */
  deltas?: boolean;
}

/** One dial of one control plane. */
interface Attempt {
  address: string;
  client: grpc.Client;
  call: RawConfigStream;
  /** the control plane sent response headers: it accepted our node identity */
  accepted: boolean;
  timer: NodeJS.Timeout | null;
}

interface Received {
  attempt: Attempt;
  response: RawSyncResponse;
  /** the response's size on the wire */
  bytes: number;
}

/** SyncRequest.node.capabilities: this data plane applies SyncResponse.delta */
const DELTA_CAPABILITY = 'delta';

/** gRPC's INVALID_ARGUMENT: the config was rejected. */
const NACK_CODE = grpc.status.INVALID_ARGUMENT;

export class SyncClient extends EventEmitter {
  readonly #opts: SyncClientOptions;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #queue: LatestOnly<Received>;
  /** decodes and checks what arrives (snapshots, deltas) and counts it */
  readonly #receiver: ConfigReceiver;
  #state: SyncState = 'disconnected';
  #index = 0;
  #attempt: Attempt | null = null;
  #retry: NodeJS.Timeout | null = null;
  #running = false;
  /** the latest upstream health report; every new stream sends it in its first request */
  #health: HealthReport | null = null;

  constructor(opts: SyncClientOptions) {
    super();
    this.#opts = opts;
    this.#log = opts.logger;
    this.#backoff = new Backoff(opts.backoff);
    this.#queue = new LatestOnly((r) => this.#handle(r));
    this.#receiver = new ConfigReceiver(opts.plugins ?? pluginSchema, opts.checker);
    // the decoders' code generated now, not inside the first snapshot or delta applied while serving
    prepareSnapshotDecoding();
  }

  get state(): SyncState {
    return this.#state;
  }

  /** The control plane being dialed or connected to; null while stopped or waiting to retry. */
  get address(): string | null {
    return this.#attempt?.address ?? null;
  }

  /** What arrived since start (whole snapshots and deltas): for metrics and specs. */
  get received(): Readonly<SyncReceived> {
    return this.#receiver.received;
  }

  /**
   * 'state': the connection state changed; 'config': a snapshot was answered, 'ack' (applied) or 'nack',
   * `ms` after it was taken up (decoded, checked, compiled and swapped in: by every worker, on a primary)
   */
  override on(event: 'state', listener: (state: SyncState) => void): this;
  override on(event: 'config', listener: ConfigListener): this;
  override on(event: 'state' | 'config', listener: ((state: SyncState) => void) | ConfigListener): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  start(): void {
    if (this.#running) return;
    if (this.#opts.controlPlanes.length === 0) {
      this.#log.error('no control plane address configured; set ARCHWAY_CLUSTER_CONTROL_PLANE (host:port, comma-separated)');
      return;
    }
    this.#running = true;
    // the config the checker passed before (the disk cache's, after a restart): its first delta on the
    // new stream is checked against lookups built now, while the stream is dialed
    void this.#prepareDeltas();
    this.#dial();
  }

  /**
   * Reports the upstreams' health to the control plane: now, in a request of its own (never an
   * ACK/NACK), when a stream is open; in the first request of the next stream otherwise.
   */
  reportHealth(report: HealthReport): void {
    this.#health = report;
    const attempt = this.#attempt;
    if (!attempt) return;
    const served = this.#served();
    this.#send(attempt, { version_info: formatVersionInfo(served?.version), config_hash: served?.hash ?? '', response_nonce: '', health_report: report });
  }

  /** Closes the stream and stops reconnecting; resolves once an apply in progress has finished. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    const attempt = this.#attempt;
    this.#attempt = null;
    if (attempt) this.#close(attempt);
    this.#queue.clear();
    await this.#queue.idle();
    this.#setState('disconnected');
  }

  #dial(): void {
    if (!this.#running) return;
    const address = this.#opts.controlPlanes[this.#index];
    this.#setState('connecting');
    let attempt: Attempt;
    try {
      const client = new grpc.Client(address, this.#opts.credentials ?? grpc.credentials.createInsecure(), {
        'grpc.keepalive_time_ms': this.#opts.keepaliveTimeMs ?? 30_000,
        'grpc.keepalive_timeout_ms': this.#opts.keepaliveTimeoutMs ?? 10_000,
        'grpc.keepalive_permit_without_calls': 1,
        'grpc.max_receive_message_length': this.#opts.maxMessageBytes ?? 256 * 1024 * 1024,
      });
      attempt = { address, client, call: openRawConfigStream(client), accepted: false, timer: null };
    } catch (err) {
      this.#failed(address, false, (err as Error).message);
      return;
    }
    this.#attempt = attempt;
    const { call } = attempt;
    attempt.timer = setTimeout(() => call.cancel(), this.#opts.connectTimeoutMs ?? 10_000);
    call.on('metadata', () => this.#accepted(attempt));
    call.on('data', (bytes: Buffer) => {
      if (this.#attempt !== attempt) return;
      let response: RawSyncResponse;
      try {
        response = decodeRawSyncResponse(bytes); // the top-level fields only: the snapshot is decoded when applied
      } catch (err) {
        this.#log.warn('undecodable response from the control plane; reconnecting', { address: attempt.address, err });
        call.cancel();
        return;
      }
      this.#queue.offer({ attempt, response, bytes: bytes.length });
    });
    call.on('error', () => undefined); // the 'status' event below reports every ending, errors included
    call.on('status', (s: grpc.StatusObject) => this.#ended(attempt, `${grpc.status[s.code] ?? s.code}: ${s.details}`));
    this.#send(attempt, this.#hello());
  }

  #hello(): SyncRequest {
    const { node } = this.#opts;
    const served = this.#served();
    return {
      node: {
        id: node.id,
        hostname: node.hostname,
        zone: node.zone,
        software_version: node.version,
        labels: node.labels,
        capabilities: this.#opts.deltas === false ? [] : [DELTA_CAPABILITY],
      },
      version_info: formatVersionInfo(served?.version),
      config_hash: served?.hash ?? '',
      health_report: this.#health,
    };
  }

  #accepted(attempt: Attempt): void {
    if (this.#attempt !== attempt) return;
    if (attempt.timer) clearTimeout(attempt.timer);
    attempt.timer = null;
    attempt.accepted = true;
    this.#backoff.reset();
    this.#log.info('connected to control plane', { address: attempt.address });
    this.#setState('connected');
  }

  #ended(attempt: Attempt, reason: string): void {
    if (this.#attempt !== attempt) return;
    this.#attempt = null;
    this.#close(attempt);
    this.#failed(attempt.address, attempt.accepted, reason);
  }

  /** Schedules the next dial: the same control plane after a working stream dropped, else the next one. */
  #failed(address: string, wasAccepted: boolean, reason: string): void {
    if (!this.#running) return;
    this.#setState('disconnected');
    if (!wasAccepted) this.#index = (this.#index + 1) % this.#opts.controlPlanes.length;
    const delay = this.#backoff.next();
    const next = this.#opts.controlPlanes[this.#index];
    const msg = wasAccepted ? 'lost the control plane stream; reconnecting' : 'cannot connect to control plane';
    this.#log.warn(msg, { address, error: reason, retry_in_ms: delay, next_address: next });
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#dial();
    }, delay);
  }

  #close(attempt: Attempt): void {
    if (attempt.timer) clearTimeout(attempt.timer);
    attempt.timer = null;
    try {
      attempt.call.cancel();
      attempt.client.close();
    } catch (err) {
      this.#log.debug('error while closing a control plane stream', { err });
    }
  }

  /** Applies one received snapshot, then ACKs it, or NACKs it with the reason. Never rejects. */
  async #handle({ attempt, response, bytes: size }: Received): Promise<void> {
    // A response from a stream that already ended cannot be ACKed; the next stream reports what we serve
    // and gets whatever is newer then.
    if (this.#attempt !== attempt) return;
    let applied: CheckedSnapshot | null = null;
    const kind = this.#receiver.count(response, size);
    const start = performance.now();
    let checkMs = 0;
    try {
      applied = await runInSlices(this.#receiver.receiveSteps(response, () => this.#served()));
      checkMs = performance.now() - start;
      if (applied) await this.#opts.apply(applied);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.#log.warn('configuration rejected; keeping the current one', { version: response.version_info, kind: kind.kind, error: message });
      this.#reply(attempt, response.nonce, { code: NACK_CODE, message }, kind, performance.now() - start);
      return;
    }
    const ms = performance.now() - start;
    this.#log.debug('configuration acknowledged', { version: response.version_info, kind: kind.kind, check_ms: round2(checkMs), apply_ms: round2(ms - checkMs) });
    this.#reply(attempt, response.nonce, null, kind, ms, applied ?? undefined);
    // after the ACK, before the next response: what the first delta on this config would otherwise build
    if (applied && kind.kind === 'snapshot') await this.#prepareDeltas();
  }

  /** Builds, in time slices, what the next delta is checked against. Never rejects. */
  #prepareDeltas(): Promise<void> {
    return runInSlices(this.#receiver.prepareDeltaSteps()).catch((err: unknown) => this.#log.warn('cannot prepare for deltas', { err }));
  }

  #reply(attempt: Attempt, nonce: string, error: { code: number; message: string } | null, received: ReceivedConfig, ms: number, applied?: Snapshot): void {
    if (this.#attempt !== attempt) return;
    const served = applied ? { version: applied.version, hash: applied.hash } : this.#served();
    this.#send(attempt, {
      version_info: formatVersionInfo(served?.version),
      config_hash: served?.hash ?? '',
      response_nonce: nonce,
      error_detail: error,
    });
    this.emit('config', error ? 'nack' : 'ack', received, ms);
  }

  #send(attempt: Attempt, request: SyncRequest): void {
    try {
      attempt.call.write(request);
    } catch (err) {
      this.#log.debug('cannot write to the control plane stream', { err }); // the 'status' event follows
    }
  }

  #served(): { version: number; hash: string } | null {
    try {
      return this.#opts.current();
    } catch (err) {
      this.#log.error('cannot read the served configuration', { err });
      return null;
    }
  }

  #setState(state: SyncState): void {
    if (this.#state === state) return;
    this.#state = state;
    try {
      this.emit('state', state);
    } catch (err) {
      this.#log.error('a sync state listener threw', { err });
    }
  }
}
