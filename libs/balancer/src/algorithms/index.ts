// Picks the algorithm class for an upstream's `algorithm`.
import type { Upstream } from '@archway/schema';
import type { Peer } from '../peer';
import type { Algorithm, AlgorithmOptions } from './algorithm';
import { ConsistentHashing } from './consistent-hashing';
import { Latency } from './latency';
import { LeastConnections } from './least-connections';
import { RoundRobin } from './round-robin';

export function createAlgorithm(name: Upstream['algorithm'], peers: readonly Peer[], opts: AlgorithmOptions): Algorithm {
  switch (name) {
    case 'consistent-hashing':
      return new ConsistentHashing(peers, opts.slots);
    case 'least-connections':
      return new LeastConnections(peers);
    case 'latency':
      return new Latency(peers, opts);
    default:
      return new RoundRobin(peers);
  }
}
