// The IPC protocol between a data plane's primary process (sync client, status server, disk cache)
// and its proxy workers (ARCHWAY_WORKERS > 1). Messages are JSON over node's IPC channel; a snapshot
// travels in parts before the message that carries it (snapshot-transfer.ts), and is one the primary
// checked: workers compile it without hashing or validating it again.
import type { Snapshot } from '@archway/schema';
import type { HealthReport } from '@archway/sync';
import type { NodeStateFromWorker, NodeStateToWorker } from './node-state/messages';

/** primary -> worker */
export type ToWorker =
  /** answers the worker's `up`: the snapshot to serve before listening (the one every worker applied), or null */
  | { type: 'start'; snapshot: Snapshot | null }
  /** compile and swap this snapshot, answer `applied` with the same seq */
  | { type: 'apply'; seq: number; snapshot: Snapshot }
  | { type: 'query'; seq: number; what: 'stats' }
  /** answered with the worker's metrics snapshot (@archway/telemetry's MetricsSnapshot) */
  | { type: 'query'; seq: number; what: 'metrics' }
  | { type: 'query'; seq: number; what: 'upstream-health'; key: string; balancerHealth: boolean }
  /** stop accepting, finish in-flight requests within graceMs, exit 0 */
  | { type: 'drain'; graceMs: number }
  /** the node's shared state: counters and upstream health (node-state/) */
  | NodeStateToWorker;

/** worker -> primary */
export type FromWorker =
  /** the worker listens for messages: send `start` */
  | { type: 'up' }
  | { type: 'listening'; proxyPort: number; proxySslPort: number | null }
  | { type: 'start-failed'; message: string }
  /** error: null when the snapshot is now served, else why it was rejected (the old one is kept) */
  | { type: 'applied'; seq: number; error: string | null }
  | { type: 'answer'; seq: number; body: unknown }
  /** the worker's upstream health summary changed (the primary forwards one worker's to the control plane) */
  | { type: 'health'; report: HealthReport }
  /** the node's shared state: counters and upstream health (node-state/) */
  | NodeStateFromWorker;

export function isFromWorker(msg: unknown): msg is FromWorker {
  return typeof msg === 'object' && msg !== null && typeof (msg as { type?: unknown }).type === 'string';
}
