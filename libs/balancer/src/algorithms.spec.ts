import { compileBalancer } from './balancer';
import { FakeClock, ctx, distribution, makeTarget, makeUpstream, pickOk } from './testing/fixtures';

describe('round-robin', () => {
  it('spreads 400 picks exactly 300/100 over weights 3:1, interleaved', () => {
    const u = makeUpstream();
    const b = compileBalancer(u, [makeTarget(u, '10.0.0.1:80', { weight: 300 }), makeTarget(u, '10.0.0.2:80', { weight: 100 })]);
    expect(distribution(b, 400)).toEqual({ '10.0.0.1:80': 300, '10.0.0.2:80': 100 });
    const order = Array.from({ length: 4 }, () => pickOk(b).address);
    expect(order.filter((a) => a === '10.0.0.2:80')).toHaveLength(1);
  });

  it('never picks a target of weight 0', () => {
    const u = makeUpstream();
    const b = compileBalancer(u, [makeTarget(u, '10.0.0.1:80'), makeTarget(u, '10.0.0.2:80', { weight: 0 })]);
    expect(distribution(b, 50)).toEqual({ '10.0.0.1:80': 50 });
    expect(b.health().map((t) => t.target)).toEqual(['10.0.0.1:80']);
  });

  it('returns null when every target has weight 0', () => {
    const u = makeUpstream();
    const b = compileBalancer(u, [makeTarget(u, '10.0.0.1:80', { weight: 0 })]);
    expect(b.pick(ctx())).toBeNull();
  });

  it('moves a retry to a target not tried yet, and back to the first once all were tried', () => {
    const u = makeUpstream();
    const b = compileBalancer(u, [makeTarget(u, '10.0.0.1:80'), makeTarget(u, '10.0.0.2:80')]);
    const c = ctx({ tried: new Set() });
    const first = pickOk(b, c);
    c.tried?.add(first);
    const second = pickOk(b, c);
    expect(second).not.toBe(first);
    c.tried?.add(second);
    expect(b.pick(c)).not.toBeNull();
  });
});

describe('least-connections', () => {
  it('sends the next request to the idle target', () => {
    const u = makeUpstream({ algorithm: 'least-connections' });
    const b = compileBalancer(u, [makeTarget(u, '10.0.0.1:80'), makeTarget(u, '10.0.0.2:80')]);
    const busy = pickOk(b); // still in flight
    for (let i = 0; i < 5; i++) {
      const p = pickOk(b);
      expect(p).not.toBe(busy);
      b.release(p);
    }
    b.release(busy);
  });

  it('honours weights: a target of weight 200 holds twice the in-flight requests', () => {
    const u = makeUpstream({ algorithm: 'least-connections' });
    const b = compileBalancer(u, [makeTarget(u, '10.0.0.1:80', { weight: 200 }), makeTarget(u, '10.0.0.2:80')]);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const p = pickOk(b); // none released: all in flight
      counts[p.address] = (counts[p.address] ?? 0) + 1;
    }
    expect(counts).toEqual({ '10.0.0.1:80': 20, '10.0.0.2:80': 10 });
  });

  it('spreads sequential requests (none in flight) over equal targets', () => {
    const u = makeUpstream({ algorithm: 'least-connections' });
    const b = compileBalancer(u, [makeTarget(u, '10.0.0.1:80'), makeTarget(u, '10.0.0.2:80')]);
    expect(distribution(b, 10)).toEqual({ '10.0.0.1:80': 5, '10.0.0.2:80': 5 });
  });
});

describe('latency', () => {
  function setup() {
    const clock = new FakeClock();
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const u = makeUpstream({ algorithm: 'latency' });
    const b = compileBalancer(u, [makeTarget(u, '10.0.0.1:80'), makeTarget(u, '10.0.0.2:80')], { clock, random });
    const [fast, slow] = [b.health()[0].data.addresses[0], b.health()[1].data.addresses[0]];
    return { clock, b, fast: `${fast.ip}:${fast.port}`, slow: `${slow.ip}:${slow.port}` };
  }

  it('prefers the faster target once response times are known', () => {
    const { b, fast } = setup();
    for (let i = 0; i < 20; i++) {
      const p = pickOk(b);
      b.report(p, { ok: true, status: 200, latencyMs: p.address === fast ? 10 : 200 });
      b.release(p);
    }
    expect(distribution(b, 100)).toEqual({ [fast]: 100 });
  });

  it('tries the slow target again once its idle score has decayed', async () => {
    const { b, clock, fast, slow } = setup();
    for (let i = 0; i < 20; i++) {
      const p = pickOk(b);
      b.report(p, { ok: true, status: 200, latencyMs: p.address === fast ? 10 : 200 });
      b.release(p);
    }
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      await clock.advance(1000);
      const p = pickOk(b);
      seen.add(p.address);
      if (p.address === fast) b.report(p, { ok: true, status: 200, latencyMs: 10 });
      b.release(p);
    }
    expect(seen.has(slow)).toBe(true);
  });
});
