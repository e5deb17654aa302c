import { compileBalancer } from './balancer';
import type { ProbeRequest } from './types';
import { FakeClock, FakeProbe, ctx, distribution, makeTarget, makeUpstream } from './testing/fixtures';

function setup(active: Record<string, unknown>) {
  const clock = new FakeClock();
  const probe = new FakeProbe();
  const u = makeUpstream({ host_header: 'api.internal', healthchecks: { active } });
  const targets = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'].map((t) => makeTarget(u, t));
  const b = compileBalancer(u, targets, { clock, probe: probe.probe });
  return { clock, probe, b };
}

const checks = {
  http_path: '/status',
  timeout: 2,
  headers: { 'x-probe': ['1'] },
  healthy: { interval: 5, successes: 2 },
  unhealthy: { interval: 1, http_failures: 2, tcp_failures: 1, timeouts: 1 },
};

describe('active health checks', () => {
  it('probes every peer each healthy.interval with the configured request', async () => {
    const { clock, probe, b } = setup(checks);
    await clock.advance(4999);
    expect(probe.seen).toHaveLength(0);
    await clock.advance(1);
    expect(probe.seen).toHaveLength(3);
    expect(probe.seen[0]).toEqual<ProbeRequest>({
      type: 'http',
      host: '10.0.0.1',
      port: 80,
      hostHeader: 'api.internal',
      path: '/status',
      timeoutMs: 2000,
      headers: { 'x-probe': ['1'] },
      sni: null,
      verifyCertificate: true,
    });
    await clock.advance(5000);
    expect(probe.seen).toHaveLength(6);
    b.close();
    await clock.advance(60_000);
    expect(probe.seen).toHaveLength(6);
  });

  it('marks a peer unhealthy after unhealthy.http_failures failing probes, and healthy again after healthy.successes', async () => {
    const { clock, probe, b } = setup(checks);
    probe.results.set('10.0.0.2:80', { status: 500 });
    await clock.advance(10_000);
    expect(b.health().map((t) => t.health)).toEqual(['HEALTHY', 'UNHEALTHY', 'HEALTHY']);
    expect(distribution(b, 6)).toEqual({ '10.0.0.1:80': 3, '10.0.0.3:80': 3 });
    // unhealthy peers are probed every unhealthy.interval (1 s)
    probe.results.delete('10.0.0.2:80');
    const before = probe.seen.length;
    await clock.advance(1000);
    expect(probe.seen.length - before).toBe(1);
    expect(b.health()[1].health).toBe('UNHEALTHY');
    await clock.advance(1000);
    expect(b.health()[1].health).toBe('HEALTHY');
  });

  it('counts probe timeouts and connection failures against their own thresholds', async () => {
    const { clock, probe, b } = setup(checks);
    probe.results.set('10.0.0.1:80', { timeout: true });
    probe.results.set('10.0.0.3:80', { tcpError: true });
    await clock.advance(5000);
    expect(b.health().map((t) => t.health)).toEqual(['UNHEALTHY', 'HEALTHY', 'UNHEALTHY']);
  });

  it('ignores statuses in neither list', async () => {
    const { clock, probe, b } = setup(checks);
    probe.results.set('10.0.0.1:80', { status: 418 });
    await clock.advance(20_000);
    expect(b.health()[0].health).toBe('HEALTHY');
  });

  it('runs at most `concurrency` probes at a time', async () => {
    const clock = new FakeClock();
    let inFlight = 0;
    let peak = 0;
    const u = makeUpstream({ healthchecks: { active: { concurrency: 2, healthy: { interval: 1 } } } });
    const targets = Array.from({ length: 6 }, (_, i) => makeTarget(u, `10.0.1.${i}:80`));
    const b = compileBalancer(u, targets, {
      clock,
      probe: async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight -= 1;
        return { status: 200 };
      },
    });
    await clock.advance(1000);
    expect(peak).toBe(2);
    b.close();
  });

  it('returns no peer when active checks found every target unhealthy', async () => {
    const { clock, probe, b } = setup(checks);
    for (const a of ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80']) probe.results.set(a, { tcpError: true });
    await clock.advance(5000);
    expect(b.pick(ctx())).toBeNull();
    b.close();
  });
});
