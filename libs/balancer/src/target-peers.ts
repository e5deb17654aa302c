// One target's place in a balancer: its parsed address, its DNS state when the host is a name, and the
// peers its addresses became. Peers adopt the state of the previous peer with the same key.
import type { Target } from '@archway/schema';
import { Peer, PeerState, formatAddress, peerKey } from './peer';
import { type TargetAddress, parseTarget } from './target-address';
import type { TargetDns } from './target-dns';

export interface TargetEntry {
  target: Target;
  addr: TargetAddress;
  /** null for ip targets */
  dns: TargetDns | null;
  peers: Peer[];
}

export function targetEntry(target: Target): TargetEntry {
  return { target, addr: parseTarget(target.target), dns: null, peers: [] };
}

/**
 * (Re)builds the peers of a target from its address or its DNS answers. `states` holds the state of
 * peers that existed before (previous balancer or previous DNS answer), by peerKey.
 */
export function buildPeers(entry: TargetEntry, states: Map<string, PeerState>, hostHeader: string | null): Peer[] {
  const { target, addr, dns } = entry;
  if (target.weight === 0) return [];
  const make = (ip: string, port: number, weight: number, name: string): Peer =>
    new Peer({
      host: ip,
      port,
      weight,
      hostHeader: hostHeader ?? name,
      target: target.target,
      targetId: target.id,
      zone: target.zone,
      state: states.get(peerKey(target.target, formatAddress(ip, port))) ?? new PeerState(),
    });
  if (dns === null) return [make(addr.host, addr.port, target.weight, addr.host)];
  return (dns.addresses ?? []).map((a) => make(a.ip, a.port, a.weight, a.hostHeader));
}

export function statesOf(peers: readonly Peer[]): Map<string, PeerState> {
  const states = new Map<string, PeerState>();
  for (const p of peers) states.set(peerKey(p.target, p.address), p.state);
  return states;
}
