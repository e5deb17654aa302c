// What every balancing algorithm offers. An algorithm is built for one fixed list of peers (one zone
// tier of one balancer) and rebuilt when that list changes (recompile, DNS update); `usable` says
// whether a peer may take this request (healthy, circuit allows, not tried yet).
import type { Peer } from '../peer';

export type Usable = (peer: Peer) => boolean;

export interface Algorithm {
  /** the chosen peer, or null when no usable peer is left */
  pick(usable: Usable, hashValue: string | null): Peer | null;
}

export interface AlgorithmOptions {
  /** consistent-hashing ring size (the upstream's `slots`) */
  slots: number;
  /** milliseconds, for the latency EWMA decay */
  now: () => number;
  /** [0, 1), for the latency algorithm's two random choices */
  random: () => number;
}
