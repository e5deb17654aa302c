// A peer is one resolved address of a target: what the proxy connects to. Its mutable state lives in a
// separate PeerState object so that a recompiled balancer can adopt it for an unchanged target (health,
// circuit, latency and in-flight counts carry over; requests still running on the old balancer release
// into the same counters).
import type { CircuitBreaker } from './circuit-breaker';
import { HealthState } from './health-state';

export class PeerState {
  readonly health = new HealthState();
  breaker: CircuitBreaker | null = null;
  /** requests in flight (least-connections) */
  connections = 0;
  /** latency EWMA in ms and when it was last updated (ms); null until the latency algorithm seeds it */
  ewma: number | null = null;
  ewmaAt = 0;
}

export interface PeerInit {
  host: string;
  port: number;
  weight: number;
  hostHeader: string;
  target: string;
  targetId: string;
  zone: string | null;
  state: PeerState;
}

export class Peer {
  /** ip to connect to (ipv6 without brackets) */
  readonly host: string;
  readonly port: number;
  /** `ip:port`, ipv6 in brackets: a stable key (connection pools, logs, health output) */
  readonly address: string;
  /** Kong's Host for this peer: the upstream's host_header, else the target's name, else the ip */
  readonly hostHeader: string;
  /** the target as configured (`host:port`) and its id */
  readonly target: string;
  readonly targetId: string;
  readonly zone: string | null;
  /** this address's share of the target's weight (A/AAAA: the target's weight; SRV: the record's) */
  readonly weight: number;
  /** @internal balancer bookkeeping; the proxy reads only the fields above */
  readonly state: PeerState;

  constructor(init: PeerInit) {
    this.host = init.host;
    this.port = init.port;
    this.address = formatAddress(init.host, init.port);
    this.hostHeader = init.hostHeader;
    this.target = init.target;
    this.targetId = init.targetId;
    this.zone = init.zone;
    this.weight = init.weight;
    this.state = init.state;
  }
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Key under which a peer's state carries over: same target string, same address. */
export function peerKey(target: string, address: string): string {
  return `${target}|${address}`;
}
