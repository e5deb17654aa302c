import { compileBalancer } from './balancer';
import type { HealthChange, Outcome } from './types';
import { ctx, distribution, makeTarget, makeUpstream, pickOk } from './testing/fixtures';

const passive = (unhealthy: Record<string, unknown>, healthy: Record<string, unknown> = {}) =>
  makeUpstream({ healthchecks: { passive: { unhealthy, healthy } } });

function twoTargets(u = passive({ tcp_failures: 2, timeouts: 2, http_failures: 2 }, { successes: 2 })) {
  const events: HealthChange[] = [];
  const b = compileBalancer(u, [makeTarget(u, '10.0.0.1:80'), makeTarget(u, '10.0.0.2:80')], {
    onHealthChange: (e) => events.push(e),
  });
  const first = pickOk(b);
  b.release(first);
  return { b, peer: first, events };
}

const fail = (b: ReturnType<typeof twoTargets>['b'], peer: ReturnType<typeof twoTargets>['peer'], o: Outcome, n: number) => {
  for (let i = 0; i < n; i++) b.report(peer, o);
};

describe('passive health checks', () => {
  it.each([
    ['tcp_failures', { ok: false, tcpError: true }],
    ['timeouts', { ok: false, timeout: true }],
    ['http_failures', { ok: true, status: 500 }],
  ])('marks a target unhealthy after %s reach the threshold, and skips it', (_name, outcome) => {
    const { b, peer, events } = twoTargets();
    fail(b, peer, outcome as Outcome, 1);
    expect(b.health()[0].health).toBe('HEALTHY');
    fail(b, peer, outcome as Outcome, 1);
    expect(b.health()[0].health).toBe('UNHEALTHY');
    expect(events).toEqual([{ upstream: 'backend', target: '10.0.0.1:80', address: '10.0.0.1:80', healthy: false, source: 'passive' }]);
    expect(distribution(b, 10)).toEqual({ '10.0.0.2:80': 10 });
  });

  it('counts only the statuses listed in passive.unhealthy.http_statuses (429, 500, 503 by default)', () => {
    const { b, peer } = twoTargets();
    fail(b, peer, { ok: true, status: 502 }, 5);
    fail(b, peer, { ok: true, status: 404 }, 5);
    expect(b.health()[0].health).toBe('HEALTHY');
    fail(b, peer, { ok: true, status: 429 }, 2);
    expect(b.health()[0].health).toBe('UNHEALTHY');
  });

  it('a success in between resets the failure count', () => {
    const { b, peer } = twoTargets();
    fail(b, peer, { ok: false, tcpError: true }, 1);
    b.report(peer, { ok: true, status: 200 });
    fail(b, peer, { ok: false, tcpError: true }, 1);
    expect(b.health()[0].health).toBe('HEALTHY');
  });

  it('brings a target back after passive.healthy.successes successes', () => {
    const { b, peer, events } = twoTargets();
    fail(b, peer, { ok: false, timeout: true }, 2);
    fail(b, peer, { ok: true, status: 200 }, 1);
    expect(b.health()[0].health).toBe('UNHEALTHY');
    fail(b, peer, { ok: true, status: 201 }, 1);
    expect(b.health()[0].health).toBe('HEALTHY');
    expect(events.map((e) => e.healthy)).toEqual([false, true]);
  });

  it('with successes 0 (the default) an unhealthy target stays out until marked healthy by hand', () => {
    const { b, peer } = twoTargets(passive({ tcp_failures: 1 }));
    fail(b, peer, { ok: false, tcpError: true }, 1);
    fail(b, peer, { ok: true, status: 200 }, 10);
    expect(b.health()[0].health).toBe('UNHEALTHY');
    expect(b.setHealth('10.0.0.1:80', true)).toBe(true);
    expect(b.health()[0].health).toBe('HEALTHY');
    expect(b.setHealth('10.9.9.9:80', true)).toBe(false);
  });

  it('returns no peer when every target is unhealthy', () => {
    const { b } = twoTargets(passive({ http_failures: 1 }));
    for (const p of [pickOk(b), pickOk(b)]) b.report(p, { ok: true, status: 503 });
    expect(b.pick(ctx())).toBeNull();
    expect(b.status()).toMatchObject({ health: 'UNHEALTHY', details: { healthy: false, weight: { total: 200, available: 0 } } });
  });

  it('returns no peer once the healthy weight falls to healthchecks.threshold percent', () => {
    const u = makeUpstream({ healthchecks: { threshold: 50, passive: { unhealthy: { tcp_failures: 1 } } } });
    const b = compileBalancer(u, [makeTarget(u, '10.0.0.1:80'), makeTarget(u, '10.0.0.2:80')]);
    b.report(pickOk(b), { ok: false, tcpError: true });
    expect(b.pick(ctx())).toBeNull();
  });

  it('reports HEALTHCHECKS_OFF and ignores failures when no health check is configured', () => {
    const u = makeUpstream();
    const b = compileBalancer(u, [makeTarget(u, '10.0.0.1:80')]);
    fail(b, pickOk(b), { ok: false, tcpError: true }, 50);
    expect(b.health()[0]).toMatchObject({
      target: '10.0.0.1:80',
      weight: 100,
      health: 'HEALTHCHECKS_OFF',
      data: {
        host: '10.0.0.1',
        port: 80,
        dns: 'A',
        nodeWeight: 100,
        weight: { total: 100, available: 100, unavailable: 0 },
        addresses: [{ ip: '10.0.0.1', port: 80, weight: 100, health: 'HEALTHCHECKS_OFF' }],
      },
    });
    expect(b.status().health).toBe('HEALTHCHECKS_OFF');
    expect(b.pick(ctx())).not.toBeNull();
  });
});

describe('recompiling a balancer', () => {
  it('carries the health of unchanged targets over, and starts changed ones healthy', () => {
    const u = passive({ tcp_failures: 1 });
    const targets = [makeTarget(u, '10.0.0.1:80'), makeTarget(u, '10.0.0.2:80')];
    const old = compileBalancer(u, targets);
    for (const p of [pickOk(old), pickOk(old)]) old.report(p, { ok: false, tcpError: true });
    const next = compileBalancer(u, [targets[0], makeTarget(u, '10.0.0.3:80')], { previous: old });
    old.close();
    expect(next.health().map((t) => [t.target, t.health])).toEqual([
      ['10.0.0.1:80', 'UNHEALTHY'],
      ['10.0.0.3:80', 'HEALTHY'],
    ]);
    expect(distribution(next, 4)).toEqual({ '10.0.0.3:80': 4 });
  });

  it('does not carry state over from another upstream', () => {
    const u = passive({ tcp_failures: 1 });
    const old = compileBalancer(u, [makeTarget(u, '10.0.0.1:80')]);
    old.report(pickOk(old), { ok: false, tcpError: true });
    const other = passive({ tcp_failures: 1 });
    const next = compileBalancer(other, [makeTarget(other, '10.0.0.1:80')], { previous: old });
    expect(next.health()[0].health).toBe('HEALTHY');
  });

  it('keeps counting in-flight requests picked on the old balancer (least-connections)', () => {
    const u = makeUpstream({ algorithm: 'least-connections' });
    const targets = [makeTarget(u, '10.0.0.1:80'), makeTarget(u, '10.0.0.2:80')];
    const old = compileBalancer(u, targets);
    const busy = pickOk(old);
    const next = compileBalancer(u, targets, { previous: old });
    expect(pickOk(next).address).not.toBe(busy.address);
    old.release(busy);
  });
});
