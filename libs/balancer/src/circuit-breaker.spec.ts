import { compileBalancer } from './balancer';
import type { CircuitChange } from './types';
import { FakeClock, ctx, distribution, makeTarget, makeUpstream, pickOk } from './testing/fixtures';

function setup(cb: Record<string, unknown> = {}) {
  const clock = new FakeClock();
  const changes: CircuitChange[] = [];
  const u = makeUpstream({
    circuit_breaker: { enabled: true, failure_threshold: 3, failure_ratio: 0.5, window: 10, cool_down: 30, half_open_requests: 2, ...cb },
  });
  const b = compileBalancer(u, [makeTarget(u, '10.0.0.1:80'), makeTarget(u, '10.0.0.2:80')], {
    clock,
    onCircuitChange: (c) => changes.push(c),
  });
  const a = pickOk(b);
  b.release(a);
  return { clock, changes, b, a };
}

describe('circuit breaker', () => {
  it('opens after failure_threshold failures at failure_ratio, sheds, half-opens after cool_down, then closes', async () => {
    const { clock, changes, b, a } = setup();
    for (let i = 0; i < 3; i++) b.report(a, { ok: false, tcpError: true });
    expect(changes.map((c) => c.to)).toEqual(['open']);
    expect(changes[0]).toMatchObject({ upstream: 'backend', target: '10.0.0.1:80', address: '10.0.0.1:80', from: 'closed' });
    expect(distribution(b, 10)).toEqual({ '10.0.0.2:80': 10 });
    expect(b.health()[0].data.addresses[0].circuit).toBe('open');

    await clock.advance(30_000);
    // half-open: exactly half_open_requests trial requests reach the target
    const trials = Array.from({ length: 10 }, () => pickOk(b)).filter((p) => p === a);
    expect(trials).toHaveLength(2);
    expect(changes.map((c) => c.to)).toEqual(['open', 'half_open']);
    b.report(a, { ok: true, status: 200 });
    b.report(a, { ok: true, status: 204 });
    expect(changes.map((c) => c.to)).toEqual(['open', 'half_open', 'closed']);
    expect(distribution(b, 10)).toEqual({ '10.0.0.1:80': 5, '10.0.0.2:80': 5 });
  });

  it('re-opens when a half-open trial fails', async () => {
    const { clock, changes, b, a } = setup();
    for (let i = 0; i < 3; i++) b.report(a, { ok: true, status: 503 });
    await clock.advance(30_000);
    expect(distribution(b, 4)['10.0.0.1:80']).toBe(2);
    b.report(a, { ok: false, timeout: true });
    expect(changes.map((c) => c.to)).toEqual(['open', 'half_open', 'open']);
    await clock.advance(29_000);
    expect(distribution(b, 10)).toEqual({ '10.0.0.2:80': 10 });
  });

  it('stays closed while failures are below failure_ratio of the requests', () => {
    const { changes, b, a } = setup();
    for (let i = 0; i < 8; i++) b.report(a, { ok: true, status: 200 });
    for (let i = 0; i < 5; i++) b.report(a, { ok: false, tcpError: true });
    expect(changes).toEqual([]); // 5 failures of 13 < 50%
  });

  it('forgets failures older than the window', async () => {
    const { clock, changes, b, a } = setup();
    for (let i = 0; i < 2; i++) b.report(a, { ok: false, tcpError: true });
    await clock.advance(11_000);
    b.report(a, { ok: false, tcpError: true });
    expect(changes).toEqual([]);
  });

  it('counts 4xx responses as successes', () => {
    const { changes, b, a } = setup({ failure_threshold: 1 });
    b.report(a, { ok: true, status: 404 });
    expect(changes).toEqual([]);
    expect(b.pick(ctx())).not.toBeNull();
  });
});
