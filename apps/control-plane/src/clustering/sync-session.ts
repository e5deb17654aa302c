// One data plane's stream, server side. The rules (docs/sync-protocol.md):
//  * the first request must carry node.id, else the stream ends with INVALID_ARGUMENT;
//  * at most one response is outstanding: the next one goes out after the ACK/NACK of the previous,
//    and it is always the newest snapshot at that moment (latest wins, never a backlog);
//  * a snapshot is sent only when its hash differs from what the data plane serves;
//  * only a request naming the outstanding nonce counts as ACK/NACK; anything else is stale;
//  * a NACKed hash is not sent again on this stream; a newer snapshot (another hash) is;
//  * a data plane that announced the "delta" capability and reported, on this stream (in its first
//    request or its last ACK/NACK), a config the control plane keeps as a base (one of the last
//    snapshots it published) gets the delta from it instead of the whole snapshot; a NACKed delta is
//    followed by the whole snapshot of the same version.
import * as grpc from '@grpc/grpc-js';
import type { Snapshot } from '@archway/schema';
import { encodeSyncResponse, formatVersionInfo, newNonce, parseVersionInfo, type ErrorDetail__Output, type SyncRequest__Output, type SyncResponse } from '@archway/sync';
import type { Logger } from '@archway/telemetry';
import type { DataPlaneRegistry, ServedConfig } from './data-plane-registry';

/** responses go out as messages or as bytes already encoded (encodeSyncResponse) */
export type SyncCall = grpc.ServerDuplexStream<SyncRequest__Output, SyncResponse | Buffer>;

export interface SessionContext {
  logger: Logger;
  softwareVersion: string;
  registry: DataPlaneRegistry;
  /** the newest published snapshot, or null before the first publish */
  latest(): Snapshot | null;
  /** the snapshot's field of a SyncResponse, encoded once per snapshot for all streams (encodeSnapshotField) */
  encode(snapshot: Snapshot): Buffer;
  /** the delta from `served` (one of the snapshots published before `snapshot`) to it, encoded once for all streams; null if none */
  delta(snapshot: Snapshot, served: ServedConfig): EncodedDelta | null;
  /** counts what the streams sent (whole snapshots, deltas) */
  sent: SyncSent;
  closed(session: SyncSession): void;
}

/** A delta ready to send: the SyncResponse field `delta`, and the config it applies to. */
export interface EncodedDelta {
  baseVersion: number;
  baseHash: string;
  bytes: Buffer;
  /** entities upserted + removed */
  entities: number;
}

export interface SyncSent {
  snapshots: number;
  deltas: number;
  snapshotBytes: number;
  deltaBytes: number;
}

/** The SyncRequest.node.capabilities value of a data plane that applies deltas. */
export const DELTA_CAPABILITY = 'delta';

export const MISSING_NODE_MESSAGE =
  'the first SyncRequest of a stream must carry node.id (the data plane node identity); see docs/sync-protocol.md';

/** "127.0.0.1:5000", "[::1]:5000", "ipv4:10.0.0.1:5000" -> the address alone. */
export function peerIp(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(bare);
  if (v6) return v6[1];
  const colon = bare.lastIndexOf(':');
  return colon > 0 && bare.indexOf(':') === colon ? bare.slice(0, colon) : bare;
}

export class SyncSession {
  readonly #call: SyncCall;
  readonly #ctx: SessionContext;
  #log: Logger;
  #nodeId: string | null = null;
  /** the config the data plane serves, as it last reported it */
  #servedHash: string | null = null;
  #servedVersion: number | null = null;
  #outstanding: { nonce: string; snapshot: Snapshot; delta: boolean } | null = null;
  #nackedHash: string | null = null;
  /** the data plane listed the "delta" capability */
  #acceptsDelta = false;
  /** the hash whose delta the data plane rejected: that version goes out whole */
  #deltaNackedHash: string | null = null;
  #writing = false;
  #closed = false;

  constructor(call: SyncCall, ctx: SessionContext) {
    this.#call = call;
    this.#ctx = ctx;
    this.#log = ctx.logger.child({ peer: call.getPeer() });
    call.on('data', (req: SyncRequest__Output) => this.#onRequest(req));
    call.on('end', () => this.#finish(null));
    call.on('error', (err) => this.#finish(err));
    call.on('close', () => this.#finish(null));
    call.on('cancelled', () => this.#finish(null));
  }

  get nodeId(): string | null {
    return this.#nodeId;
  }

  /** Sends the newest snapshot if the data plane needs it and nothing is outstanding. */
  offer(): void {
    if (this.#closed || this.#nodeId === null || this.#outstanding || this.#writing) return;
    const snapshot = this.#ctx.latest();
    if (!snapshot || snapshot.hash === this.#servedHash || snapshot.hash === this.#nackedHash) return;
    const nonce = newNonce();
    const delta = this.#deltaFor(snapshot);
    this.#outstanding = { nonce, snapshot, delta: delta !== null };
    this.#writing = true;
    // only the small per-stream fields are encoded here: the snapshot's (or delta's) bytes are shared by every stream
    const body = delta ? delta.bytes : this.#ctx.encode(snapshot);
    const msg = encodeSyncResponse({ version_info: formatVersionInfo(snapshot.version), nonce, control_plane_version: this.#ctx.softwareVersion }, body);
    const sent = this.#ctx.sent;
    if (delta) {
      sent.deltas++;
      sent.deltaBytes += msg.length;
    } else {
      sent.snapshots++;
      sent.snapshotBytes += msg.length;
    }
    this.#log.debug('sending config', { version: snapshot.version, hash: snapshot.hash, nonce, delta: delta !== null, bytes: msg.length });
    // The write callback fires once grpc-js has handed the message to HTTP/2; until then (a backed-up
    // stream) nothing else is queued, so a slow reader only ever gets the newest snapshot next.
    this.#call.write(msg, () => {
      this.#writing = false;
      this.offer();
    });
  }

  /**
   * The delta to send instead of `snapshot`, when this data plane takes deltas and serves one of its
   * possible bases, as it last reported: in an ACK, or in its first request, so that a data plane back
   * on a new stream (a blip, its own restart from the disk cache, the control plane's restart) gets
   * the next change as a delta too. A data plane whose config is not that base after all NACKs it, and
   * the whole snapshot follows.
   */
  #deltaFor(snapshot: Snapshot): EncodedDelta | null {
    if (!this.#acceptsDelta || snapshot.hash === this.#deltaNackedHash) return null;
    return this.#ctx.delta(snapshot, { version: this.#servedVersion, hash: this.#servedHash });
  }

  /** Ends the stream with a status, e.g. when the control plane shuts down. */
  end(code: grpc.status, details: string): void {
    if (this.#closed) return;
    this.#call.emit('error', { code, details });
  }

  #onRequest(req: SyncRequest__Output): void {
    if (this.#closed) return;
    if (this.#nodeId === null) return this.#identify(req);
    // a health report rides on a request of its own (or on any other): it is never an ACK/NACK
    if (req.health_report) this.#ctx.registry.reportHealth(this, this.#nodeId, req.health_report);
    if (!this.#outstanding || req.response_nonce !== this.#outstanding.nonce) {
      // A stale nonce (or none) is not an ACK/NACK; the data plane is still alive, though.
      this.#ctx.registry.update(this, this.#nodeId, {});
      this.#log.debug('request with stale nonce ignored', { response_nonce: req.response_nonce });
      return;
    }
    const { snapshot: sent, delta } = this.#outstanding;
    this.#outstanding = null;
    if (req.error_detail) this.#onNack(this.#nodeId, req, req.error_detail, sent, delta);
    else this.#onAck(this.#nodeId, req, sent);
    this.offer();
  }

  #identify(req: SyncRequest__Output): void {
    const node = req.node;
    if (!node || !node.id) {
      this.#log.warn('stream rejected: no node identity in its first message');
      this.end(grpc.status.INVALID_ARGUMENT, MISSING_NODE_MESSAGE);
      return;
    }
    this.#nodeId = node.id;
    this.#acceptsDelta = (node.capabilities ?? []).includes(DELTA_CAPABILITY);
    this.#servedHash = req.config_hash || null;
    this.#servedVersion = parseVersionInfo(req.version_info);
    this.#log = this.#log.child({ node_id: node.id });
    const info = { id: node.id, hostname: node.hostname, zone: node.zone, version: node.software_version, labels: node.labels };
    const served = { version: this.#servedVersion, hash: this.#servedHash };
    this.#ctx.registry.connect(this, info, peerIp(this.#call.getPeer()), served);
    if (req.health_report) this.#ctx.registry.reportHealth(this, node.id, req.health_report);
    if (this.#servedHash !== null && this.#servedHash === this.#ctx.latest()?.hash)
      this.#ctx.registry.update(this, node.id, { sync_status: 'normal' });
    // Response headers tell the data plane its identity was accepted, even when no config follows.
    this.#call.sendMetadata(new grpc.Metadata());
    this.#log.info('data plane connected', { hostname: node.hostname, zone: node.zone, version: node.software_version, config_version: served.version, config_hash: served.hash });
    this.offer();
  }

  #onAck(id: string, req: SyncRequest__Output, sent: Snapshot): void {
    this.#servedHash = req.config_hash || sent.hash;
    this.#nackedHash = null;
    const version = parseVersionInfo(req.version_info) ?? sent.version;
    this.#servedVersion = version;
    this.#ctx.registry.update(this, id, { sync_status: 'normal', config_version: version, config_hash: this.#servedHash });
    this.#log.info('data plane applied config', { version, hash: this.#servedHash });
  }

  #onNack(id: string, req: SyncRequest__Output, detail: ErrorDetail__Output, sent: Snapshot, delta: boolean): void {
    // a rejected delta is followed by the whole snapshot; a rejected snapshot is not sent again
    if (delta) this.#deltaNackedHash = sent.hash;
    else this.#nackedHash = sent.hash;
    this.#servedHash = req.config_hash || null;
    this.#servedVersion = parseVersionInfo(req.version_info);
    this.#ctx.registry.update(this, id, {
      sync_status: 'config_nack',
      config_version: this.#servedVersion,
      config_hash: this.#servedHash,
      last_error: { code: detail.code, message: detail.message, config_version: sent.version, config_hash: sent.hash, at: Math.floor(Date.now() / 1000) },
    });
    this.#log.warn('data plane rejected config', { version: sent.version, hash: sent.hash, delta, error: detail.message, code: detail.code });
  }

  #finish(err: Error | null): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#nodeId !== null) {
      this.#ctx.registry.disconnect(this, this.#nodeId);
      this.#log.info('data plane disconnected', err ? { err } : undefined);
    }
    // Half-close from the client: finish our side too so the call completes cleanly.
    if (!this.#call.writableEnded) this.#call.end();
    this.#ctx.closed(this);
  }
}
