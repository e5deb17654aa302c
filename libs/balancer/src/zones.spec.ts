import { compileBalancer } from './balancer';
import { FakeClock, ctx, distribution, makeTarget, makeUpstream, pickOk } from './testing/fixtures';

function setup(fields: Record<string, unknown> = {}) {
  const u = makeUpstream({ healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } }, ...fields });
  const targets = [
    makeTarget(u, '10.0.0.1:80', { zone: 'zone-a' }),
    makeTarget(u, '10.0.0.2:80', { zone: 'zone-a' }),
    makeTarget(u, '10.0.1.1:80', { zone: 'zone-b' }),
  ];
  return { u, targets };
}

describe('zone-aware balancing', () => {
  it('sends traffic only to targets of its own zone while they are healthy', () => {
    const { u, targets } = setup();
    expect(distribution(compileBalancer(u, targets, { zone: 'zone-a' }), 10)).toEqual({ '10.0.0.1:80': 5, '10.0.0.2:80': 5 });
    expect(distribution(compileBalancer(u, targets, { zone: 'zone-b' }), 10)).toEqual({ '10.0.1.1:80': 10 });
  });

  it('treats targets without a zone as local, and uses every target when the data plane has no zone', () => {
    const { u, targets } = setup();
    const withAny = [...targets, makeTarget(u, '10.0.2.1:80')];
    expect(Object.keys(distribution(compileBalancer(u, withAny, { zone: 'zone-b' }), 10)).sort()).toEqual(['10.0.1.1:80', '10.0.2.1:80']);
    expect(Object.keys(distribution(compileBalancer(u, targets), 12))).toHaveLength(3);
  });

  it('spills over to other zones when no local target is healthy, and comes back', () => {
    const { u, targets } = setup();
    const b = compileBalancer(u, targets, { zone: 'zone-a' });
    for (const p of [pickOk(b), pickOk(b)]) b.report(p, { ok: false, tcpError: true });
    expect(distribution(b, 5)).toEqual({ '10.0.1.1:80': 5 });
    b.setHealth('10.0.0.2:80', true);
    expect(distribution(b, 5)).toEqual({ '10.0.0.2:80': 5 });
  });

  it('spills over while the local circuits are open', () => {
    const { u, targets } = setup({ circuit_breaker: { enabled: true, failure_threshold: 1, failure_ratio: 1 } });
    const b = compileBalancer(u, targets, { zone: 'zone-a', clock: new FakeClock() });
    for (const p of [pickOk(b), pickOk(b)]) b.report(p, { ok: true, status: 502 });
    expect(distribution(b, 3)).toEqual({ '10.0.1.1:80': 3 });
  });

  it('moves a retry to another zone once every local target was tried', () => {
    const { u, targets } = setup();
    const b = compileBalancer(u, targets, { zone: 'zone-a' });
    const c = ctx({ tried: new Set() });
    c.tried?.add(pickOk(b, c));
    c.tried?.add(pickOk(b, c));
    expect(pickOk(b, c).address).toBe('10.0.1.1:80');
  });
});
