// Active health checks: every `healthy.interval` seconds the healthy peers are probed, every
// `unhealthy.interval` seconds the unhealthy ones (0 turns that loop off), at most `concurrency` probes
// at a time. Results feed the same counters as passive checks, against the `active` thresholds.
import type { Healthchecks } from '@archway/schema';
import type { HealthEvent } from './health-state';
import type { Peer } from './peer';
import type { Clock, Probe, ProbeResult } from './types';

type Active = Healthchecks['active'];

export interface ActiveCheckerInit {
  config: Active;
  clock: Clock;
  probe: Probe;
  /** the balancer's current peers (they change with DNS) */
  peers: () => readonly Peer[];
  record: (peer: Peer, event: HealthEvent, limit: number) => void;
}

export class ActiveChecker {
  private readonly timers: { healthy: unknown; unhealthy: unknown } = { healthy: null, unhealthy: null };
  private readonly running = { healthy: false, unhealthy: false };
  private closed = false;

  constructor(private readonly init: ActiveCheckerInit) {}

  start(): void {
    this.schedule('healthy');
    this.schedule('unhealthy');
  }

  close(): void {
    this.closed = true;
    for (const kind of ['healthy', 'unhealthy'] as const) {
      if (this.timers[kind] !== null) this.init.clock.clearTimeout(this.timers[kind]);
      this.timers[kind] = null;
    }
  }

  private schedule(kind: 'healthy' | 'unhealthy'): void {
    const interval = this.init.config[kind].interval;
    if (this.closed || interval <= 0) return;
    this.timers[kind] = this.init.clock.setTimeout(() => this.tick(kind), interval * 1000);
  }

  /** One round; the next is scheduled right away, and skipped while this one still runs. */
  private tick(kind: 'healthy' | 'unhealthy'): void {
    this.schedule(kind);
    if (this.running[kind]) return;
    const wanted = kind === 'healthy';
    const due = this.init.peers().filter((p) => p.weight > 0 && p.state.health.healthy === wanted);
    if (due.length === 0) return;
    this.running[kind] = true;
    void this.probeAll(due).finally(() => {
      this.running[kind] = false;
    });
  }

  private async probeAll(peers: Peer[]): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < peers.length && !this.closed) {
        const peer = peers[next++];
        const result = await this.probeOne(peer);
        if (!this.closed) this.classify(peer, result);
      }
    };
    const lanes = Math.min(this.init.config.concurrency, peers.length);
    await Promise.all(Array.from({ length: lanes }, worker));
  }

  private probeOne(peer: Peer): Promise<ProbeResult> {
    const c = this.init.config;
    return this.init
      .probe({
        type: c.type,
        host: peer.host,
        port: peer.port,
        hostHeader: peer.hostHeader,
        path: c.http_path,
        timeoutMs: c.timeout * 1000,
        headers: c.headers ?? {},
        sni: c.https_sni,
        verifyCertificate: c.https_verify_certificate,
      })
      .catch((): ProbeResult => ({ tcpError: true }));
  }

  private classify(peer: Peer, result: ProbeResult): void {
    const { healthy, unhealthy } = this.init.config;
    if ('timeout' in result) return this.init.record(peer, 'timeout', unhealthy.timeouts);
    if ('tcpError' in result) return this.init.record(peer, 'tcp_failure', unhealthy.tcp_failures);
    if ('connected' in result) return this.init.record(peer, 'success', healthy.successes);
    const event = statusEvent(result.status, healthy.http_statuses, unhealthy.http_statuses);
    if (event === 'success') this.init.record(peer, event, healthy.successes);
    else if (event === 'http_failure') this.init.record(peer, event, unhealthy.http_failures);
  }
}

/** lua-resty-healthcheck's order: a "healthy" status wins, then an "unhealthy" one; others are ignored. */
export function statusEvent(status: number, healthy: number[], unhealthy: number[]): HealthEvent | null {
  if (healthy.includes(status)) return 'success';
  if (unhealthy.includes(status)) return 'http_failure';
  return null;
}
