// Consistent hashing on a ring ("continuum") of `slots` points, as Kong builds it (Ketama-style):
// each peer owns floor(weight / total * targets * 160) points (at least 1), placed at
// crc32("<ip>:<port> <i>") mod slots; a collision moves on to the peer's next point. Peers are laid
// down in sorted order so every data plane builds the same ring. A request hashes its key to a point
// and walks the ring backwards to the first usable peer, so an unhealthy or already-tried peer passes
// its keys to its neighbour, and adding a target takes over only about 1/n of the keys.
import { crc32 } from '../crc32';
import type { Peer } from '../peer';
import type { Algorithm, Usable } from './algorithm';

const POINTS_PER_TARGET = 160;
const MIN_SLOTS = 1000;
const DEFAULT_SLOTS = 1000;

export class ConsistentHashing implements Algorithm {
  private readonly ring: Int32Array;
  private readonly peers: Peer[];

  constructor(peers: readonly Peer[], slots: number) {
    // Kong: a wheel smaller than 1000 points is replaced by the default size
    const points = slots >= MIN_SLOTS ? slots : DEFAULT_SLOTS;
    this.ring = new Int32Array(points).fill(-1);
    this.peers = [...peers].sort((a, b) => compare(a.address, b.address));
    this.build();
  }

  pick(usable: Usable, hashValue: string | null): Peer | null {
    const { ring, peers } = this;
    if (peers.length === 0) return null;
    let index = crc32(hashValue ?? '') % ring.length;
    for (let step = 0; step < ring.length; step++) {
      const owner = ring[index];
      if (owner !== -1 && usable(peers[owner])) return peers[owner];
      index = index === 0 ? ring.length - 1 : index - 1;
    }
    return null;
  }

  private build(): void {
    const { ring, peers } = this;
    const total = peers.reduce((sum, p) => sum + p.weight, 0);
    const targets = new Set(peers.map((p) => p.target)).size;
    let free = ring.length;
    for (let p = 0; p < peers.length && free > 0; p++) {
      let entries = Math.floor((peers[p].weight / total) * targets * POINTS_PER_TARGET);
      if (entries === 0 && peers[p].weight > 0) entries = 1;
      // collisions push the problem forward: the peer keeps hashing further names until placed
      for (let i = 1; entries > 0 && free > 0 && i <= ring.length * 4; i++) {
        const index = crc32(`${peers[p].address} ${i}`) % ring.length;
        if (ring[index] !== -1) continue;
        ring[index] = p;
        entries -= 1;
        free -= 1;
      }
    }
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
