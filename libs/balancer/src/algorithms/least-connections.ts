// Least-connections, weighted as Kong does: the score is (in-flight + 1) / weight and the lowest wins.
// The "+ 1" lets a heavier peer win among idle ones instead of whichever comes first. Ties rotate their
// starting point, so sequential requests (always 0 in flight) still spread over equal peers.
import type { Peer } from '../peer';
import type { Algorithm, Usable } from './algorithm';

export class LeastConnections implements Algorithm {
  private start = 0;

  constructor(private readonly peers: readonly Peer[]) {}

  pick(usable: Usable): Peer | null {
    const { peers } = this;
    const n = peers.length;
    let best: Peer | null = null;
    let bestScore = Infinity;
    for (let k = 0; k < n; k++) {
      const peer = peers[(this.start + k) % n];
      if (!usable(peer)) continue;
      const score = (peer.state.connections + 1) / peer.weight;
      if (score < bestScore) {
        best = peer;
        bestScore = score;
      }
    }
    this.start = n === 0 ? 0 : (this.start + 1) % n;
    return best;
  }
}
