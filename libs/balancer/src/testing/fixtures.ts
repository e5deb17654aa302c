// Spec helpers: entities through the real schema (defaults exactly as a snapshot has them), a clock
// driven by hand, a scripted resolver and probe. Not exported from index.ts.
import { type Target, type Upstream, targetSchema, upstreamSchema, validateEntity } from '@archway/schema';
import type { Balancer } from '../balancer';
import type { Peer } from '../peer';
import { pickContext } from '../pick-context';
import type { AddressRecord, Clock, PickContext, ProbeRequest, ProbeResult, Resolver, SrvRecord } from '../types';

export function makeUpstream(fields: Record<string, unknown> = {}): Upstream {
  return validateEntity<Upstream>(upstreamSchema, { name: 'backend', ...fields }, 'create');
}

export function makeTarget(upstream: Upstream, target: string, fields: Record<string, unknown> = {}): Target {
  return validateEntity<Target>(targetSchema, { upstream: { id: upstream.id }, target, ...fields }, 'create');
}

export function ctx(init: Partial<PickContext> = {}): PickContext {
  return pickContext({ clientIp: '10.0.0.1', ...init });
}

/** Picks `n` times (each request released at once) and counts picks per peer address. */
export function distribution(b: Balancer, n: number, make: (i: number) => PickContext = () => ctx()): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const peer = b.pick(make(i));
    const key = peer?.address ?? 'null';
    counts[key] = (counts[key] ?? 0) + 1;
    if (peer) b.release(peer);
  }
  return counts;
}

export function pickOk(b: Balancer, c: PickContext = ctx()): Peer {
  const peer = b.pick(c);
  if (!peer) throw new Error('expected a peer');
  return peer;
}

interface Timer {
  at: number;
  fn: () => void;
  id: number;
}

export class FakeClock implements Clock {
  private t = 1_700_000_000_000;
  private timers: Timer[] = [];
  private nextId = 1;

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { at: this.t + ms, fn, id: this.nextId++ };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  pending(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing due timers in order and letting their async work settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

type Answer<T> = T | { error: string };

/** DNS answers scripted per name; a name without an answer is ENOTFOUND. Counts queries. */
export class FakeResolver implements Resolver {
  readonly a = new Map<string, Answer<AddressRecord[]>>();
  readonly aaaa = new Map<string, Answer<AddressRecord[]>>();
  readonly srv = new Map<string, Answer<{ records: SrvRecord[]; ttl: number }>>();
  queries = 0;

  setA(name: string, ips: string[], ttl = 30): void {
    this.a.set(name, ips.map((address) => ({ address, ttl })));
  }

  fail(name: string, code = 'ESERVFAIL'): void {
    for (const m of [this.a, this.aaaa, this.srv] as Map<string, unknown>[]) m.set(name, { error: code });
  }

  async resolve4(name: string): Promise<AddressRecord[]> {
    return this.answer(this.a, name);
  }

  async resolve6(name: string): Promise<AddressRecord[]> {
    return this.answer(this.aaaa, name);
  }

  async resolveSrv(name: string): Promise<{ records: SrvRecord[]; ttl: number }> {
    return this.answer(this.srv, name);
  }

  private answer<T>(m: Map<string, Answer<T>>, name: string): T {
    this.queries += 1;
    const v = m.get(name);
    if (v === undefined) throw Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    if (typeof v === 'object' && v !== null && 'error' in v)
      throw Object.assign(new Error(`query ${v.error} ${name}`), { code: v.error });
    return v;
  }
}

/** Answers probes from a per-address script (default 200) and records them. */
export class FakeProbe {
  readonly results = new Map<string, ProbeResult>();
  readonly seen: ProbeRequest[] = [];
  readonly probe = async (req: ProbeRequest): Promise<ProbeResult> => {
    this.seen.push(req);
    return this.results.get(`${req.host}:${req.port}`) ?? { status: 200 };
  };
}
