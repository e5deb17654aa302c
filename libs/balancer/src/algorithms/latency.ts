// Latency (Kong's `latency`, a peak-EWMA after Finagle): each peer keeps an exponentially weighted
// moving average of its response times that decays towards 0 while the peer is idle (10 s decay time).
// A pick compares two random usable peers ("power of two choices") and takes the lower ewma / weight.
// The fastest peer gets most requests; a slow one is tried again once its idle score has decayed, so
// a recovered peer is noticed. New peers start at the average of the others (slow start).
import type { Peer, PeerState } from '../peer';
import type { Algorithm, AlgorithmOptions, Usable } from './algorithm';

const DECAY_TIME_MS = 10_000;

/** The EWMA decayed to `now` and moved towards `rtt` (rtt 0: just the decay, for scoring). */
export function decayedEwma(state: PeerState, rtt: number, now: number): number {
  const ewma = state.ewma ?? 0;
  const elapsed = Math.max(0, now - state.ewmaAt);
  const w = Math.exp(-elapsed / DECAY_TIME_MS);
  return ewma * w + rtt * (1 - w);
}

/**
 * Records one response time (ms). Peak-sensitive as Finagle's PeakEwma: a slower response than the
 * average is taken at once (a peer that slows down loses traffic immediately), faster ones blend in
 * with the decay. Kong blends every sample, which ignores samples that arrive within the same instant.
 */
export function updateEwma(state: PeerState, rtt: number, now: number): void {
  const decayed = decayedEwma(state, rtt, now);
  state.ewma = rtt > decayed ? rtt : decayed;
  state.ewmaAt = now;
}

export class Latency implements Algorithm {
  private readonly candidates: Peer[] = [];

  constructor(
    private readonly peers: readonly Peer[],
    private readonly opts: AlgorithmOptions,
  ) {
    seedNewPeers(peers, opts.now());
  }

  pick(usable: Usable): Peer | null {
    const c = this.candidates;
    c.length = 0;
    for (const peer of this.peers) if (usable(peer)) c.push(peer);
    if (c.length <= 1) return c[0] ?? null;
    const i = Math.floor(this.opts.random() * c.length);
    let j = Math.floor(this.opts.random() * (c.length - 1));
    if (j >= i) j += 1;
    const now = this.opts.now();
    return this.score(c[i], now) <= this.score(c[j], now) ? c[i] : c[j];
  }

  private score(peer: Peer, now: number): number {
    return decayedEwma(peer.state, 0, now) / peer.weight;
  }
}

function seedNewPeers(peers: readonly Peer[], now: number): void {
  let sum = 0;
  let known = 0;
  for (const p of peers) {
    if (p.state.ewma === null) continue;
    sum += decayedEwma(p.state, 0, now);
    known += 1;
  }
  const start = known ? sum / known : 0;
  for (const p of peers) {
    if (p.state.ewma !== null) continue;
    p.state.ewma = start;
    p.state.ewmaAt = now;
  }
}
