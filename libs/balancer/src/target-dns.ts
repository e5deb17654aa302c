// Service discovery for one target whose host is a name. Record types are tried in Kong's order
// (SRV, then A, then AAAA), moving on only when a type does not exist. Answers are kept for their TTL
// and re-queried in the background shortly before they expire; when a refresh fails the last good
// addresses stay in use (stale-on-error), and only a target that never resolved reports DNS_ERROR.
import type { BalancerLogger, Clock, Resolver, SrvRecord } from './types';
import { isIpLiteral } from './target-address';

export interface ResolvedAddress {
  ip: string;
  port: number;
  weight: number;
  /** the name to send as Host: the target's name, or the SRV record's (upstream.use_srv_name) */
  hostHeader: string;
}

export interface TargetDnsInit {
  name: string;
  port: number;
  weight: number;
  useSrvName: boolean;
  resolver: Resolver;
  clock: Clock;
  logger: BalancerLogger | null;
  /** called after a resolution changed the addresses */
  onChange: () => void;
}

export type RecordType = 'A' | 'AAAA' | 'SRV';

/** Kong's SRV rule: a record of weight 0 is used, as rarely as possible */
const SRV_0_WEIGHT = 1;
const MIN_REFRESH_MS = 1000;
const MAX_RETRY_MS = 30_000; // Kong's REQUERY_INTERVAL for failed lookups

export class TargetDns {
  addresses: ResolvedAddress[] | null = null;
  recordType: RecordType | null = null;
  lastError: string | null = null;
  private expiresAt = 0;
  private failures = 0;
  private timer: unknown = null;
  private closed = false;
  private readonly init: TargetDnsInit;

  constructor(init: TargetDnsInit) {
    this.init = init;
  }

  /** Takes over a previous balancer's answers for the same target instead of querying again. */
  adopt(prev: TargetDns): boolean {
    if (prev.addresses === null || prev.init.weight === 0) return false;
    const weightScale = this.init.weight / prev.init.weight;
    this.addresses = prev.addresses.map((a) => ({
      ...a,
      // A/AAAA addresses carry the target's weight, which a config change may have altered
      weight: prev.recordType === 'SRV' ? a.weight : a.weight * weightScale,
    }));
    this.recordType = prev.recordType;
    this.expiresAt = prev.expiresAt;
    this.lastError = prev.lastError;
    return true;
  }

  /** Resolves now unless adopted answers are still fresh; then keeps refreshing until close(). */
  async start(): Promise<void> {
    const now = this.init.clock.now();
    if (this.addresses !== null && this.expiresAt > now) return this.schedule(this.refreshDelay(this.expiresAt - now));
    await this.refresh();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) this.init.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private async refresh(): Promise<void> {
    this.timer = null;
    const { name, clock, logger } = this.init;
    try {
      const { addresses, type, ttl } = await this.query();
      if (this.closed) return;
      this.failures = 0;
      this.lastError = null;
      this.expiresAt = clock.now() + ttl * 1000;
      this.recordType = type;
      const changed = !sameAddresses(this.addresses, addresses);
      this.addresses = addresses;
      if (changed) this.init.onChange();
      this.schedule(this.refreshDelay(ttl * 1000));
    } catch (err) {
      if (this.closed) return;
      this.failures += 1;
      this.lastError = `dns error: ${(err as Error).message}`;
      logger?.warn('DNS resolution failed, keeping the last good addresses', {
        host: name,
        stale: this.addresses !== null,
        err,
      });
      this.schedule(Math.min(MAX_RETRY_MS, 1000 * 2 ** (this.failures - 1)));
    }
  }

  private refreshDelay(ttlMs: number): number {
    return Math.max(MIN_REFRESH_MS, ttlMs * 0.9);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = this.init.clock.setTimeout(() => void this.refresh(), ms);
  }

  private async query(): Promise<{ addresses: ResolvedAddress[]; type: RecordType; ttl: number }> {
    const { name, port, weight, resolver } = this.init;
    const srv = await notFoundAsNull(resolver.resolveSrv(name));
    if (srv && srv.records.length) return { ...(await this.fromSrv(srv.records, srv.ttl)), type: 'SRV' };
    const v4 = await notFoundAsNull(resolver.resolve4(name));
    const type: RecordType = v4?.length ? 'A' : 'AAAA';
    const records = v4?.length ? v4 : await resolver.resolve6(name);
    if (!records.length) throw Object.assign(new Error(`no addresses for ${name}`), { code: 'ENODATA' });
    const ttl = Math.min(...records.map((r) => r.ttl));
    return { addresses: records.map((r) => ({ ip: r.address, port, weight, hostHeader: name })).sort(byAddress), type, ttl };
  }

  /** Top-priority SRV records; each record's weight is split over the addresses of its host. */
  private async fromSrv(all: SrvRecord[], srvTtl: number): Promise<{ addresses: ResolvedAddress[]; ttl: number }> {
    const { name, port, useSrvName, resolver } = this.init;
    const top = Math.min(...all.map((r) => r.priority));
    let ttl = srvTtl;
    const addresses: ResolvedAddress[] = [];
    for (const record of all.filter((r) => r.priority === top)) {
      const recordPort = record.port !== 0 ? record.port : port;
      const weight = record.weight === 0 ? SRV_0_WEIGHT : record.weight;
      const hostHeader = useSrvName ? record.name : name;
      let ips: string[];
      if (isIpLiteral(record.name)) ips = [record.name.replace(/^\[|\]$/g, '')];
      else {
        const v4 = await notFoundAsNull(resolver.resolve4(record.name));
        const found = v4?.length ? v4 : await resolver.resolve6(record.name);
        ttl = Math.min(ttl, ...found.map((r) => r.ttl));
        ips = found.map((r) => r.address);
      }
      for (const ip of ips) addresses.push({ ip, port: recordPort, weight: weight / ips.length, hostHeader });
    }
    return { addresses: addresses.sort(byAddress), ttl };
  }
}

async function notFoundAsNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return null;
    throw err;
  }
}

function byAddress(a: ResolvedAddress, b: ResolvedAddress): number {
  const ka = `${a.ip}:${a.port}`;
  const kb = `${b.ip}:${b.port}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function sameAddresses(a: ResolvedAddress[] | null, b: ResolvedAddress[]): boolean {
  if (a === null || a.length !== b.length) return false;
  return a.every((x, i) => x.ip === b[i].ip && x.port === b[i].port && x.weight === b[i].weight && x.hostHeader === b[i].hostHeader);
}
