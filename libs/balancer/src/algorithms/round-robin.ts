// Weighted round-robin, the smooth variant (nginx's): every pick adds each usable peer's weight to its
// running score, takes the highest, and subtracts the total from the winner. Weights 3:1 give A A B A,
// A A B A, ... — exact proportions over every cycle, interleaved rather than in bursts, deterministic.
// Kong spreads a shuffled wheel instead; the proportions are the same, the order is not random here.
import type { Peer } from '../peer';
import type { Algorithm, Usable } from './algorithm';

export class RoundRobin implements Algorithm {
  private readonly current: Float64Array;

  constructor(private readonly peers: readonly Peer[]) {
    this.current = new Float64Array(peers.length);
  }

  pick(usable: Usable): Peer | null {
    const { peers, current } = this;
    let best = -1;
    let total = 0;
    for (let i = 0; i < peers.length; i++) {
      if (!usable(peers[i])) continue;
      current[i] += peers[i].weight;
      total += peers[i].weight;
      if (best === -1 || current[i] > current[best]) best = i;
    }
    if (best === -1) return null;
    current[best] -= total;
    return peers[best];
  }
}
