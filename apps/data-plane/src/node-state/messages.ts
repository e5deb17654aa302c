// The node's shared state over the primary <-> worker IPC channel (ARCHWAY_WORKERS > 1), beside the
// snapshot protocol of worker-messages.ts: rate-limiting counters (a worker asks, the primary counts)
// and upstream health (the primary decides and broadcasts; workers report what their traffic shows).
import type { PeerHealth } from '@archway/balancer';

/** one NodeCounters.take call: key, then per window its series, start and limit */
export type CounterOp = [key: string, series: readonly number[], starts: readonly number[], limits: readonly number[]];

/** the health of some addresses of one upstream (by name, unique in a config) */
export interface UpstreamPeers {
  upstream: string;
  peers: PeerHealth[];
}

/** worker -> primary */
export type NodeStateFromWorker =
  /** every take() of one event-loop turn, answered by one `node-taken` with the same id */
  | { type: 'node-take'; id: number; ops: CounterOp[] }
  /** this worker's traffic flipped an address's health (passive checks): the node adopts it */
  | { type: 'node-peer-health'; upstream: string; peer: PeerHealth };

/** primary -> worker */
export type NodeStateToWorker =
  /** per op of `node-take` `id`, the counts before it */
  | { type: 'node-taken'; id: number; used: number[][] }
  /** the node's health of these addresses: after a change, or every address after a worker (re)applied a config */
  | { type: 'node-health'; upstreams: UpstreamPeers[] };

const NODE_TYPES = new Set(['node-take', 'node-peer-health', 'node-taken', 'node-health']);

/** Whether `msg` belongs to this protocol (the snapshot protocol's messages travel on the same channel). */
export function isNodeStateMessage(msg: unknown): msg is NodeStateFromWorker | NodeStateToWorker {
  return typeof msg === 'object' && msg !== null && NODE_TYPES.has((msg as { type?: unknown }).type as string);
}
