// Health shared between the processes of one data-plane node: a balancer that leaves active checks to
// another process (activeChecks: false) never probes, lists its addresses' health (peerHealth) and
// adopts what the other process decided (adoptHealth), announcing each change with its source.
import { compileBalancer } from './balancer';
import { FakeClock, FakeProbe, distribution, makeTarget, makeUpstream } from './testing/fixtures';
import type { HealthChange } from './types';

const active = { healthy: { interval: 1, successes: 1 }, unhealthy: { interval: 1, http_failures: 1 } };

function setup(opts: { activeChecks?: boolean; healthchecks?: object } = {}) {
  const clock = new FakeClock();
  const probe = new FakeProbe();
  const changes: HealthChange[] = [];
  const u = makeUpstream({ healthchecks: opts.healthchecks ?? { active } });
  const targets = ['10.0.0.1:80', '10.0.0.2:80'].map((t) => makeTarget(u, t));
  const b = compileBalancer(u, targets, { clock, probe: probe.probe, activeChecks: opts.activeChecks, onHealthChange: (e) => changes.push(e) });
  return { clock, probe, b, changes };
}

describe('health shared by the processes of a node', () => {
  it('does not probe when active checks are left to another process', async () => {
    const { clock, probe, b } = setup({ activeChecks: false });
    probe.results.set('10.0.0.2:80', { status: 500 });
    await clock.advance(10_000);
    expect(probe.seen).toHaveLength(0);
    expect(b.health().map((t) => t.health)).toEqual(['HEALTHY', 'HEALTHY']);
  });

  it('lists every address with its health', async () => {
    const { clock, probe, b } = setup();
    probe.results.set('10.0.0.2:80', { status: 500 });
    await clock.advance(1_000);
    expect(b.peerHealth()).toEqual([
      { target: '10.0.0.1:80', address: '10.0.0.1:80', healthy: true },
      { target: '10.0.0.2:80', address: '10.0.0.2:80', healthy: false },
    ]);
  });

  it("adopts another process's verdicts: picks follow, each change is announced once with its source, unknown addresses are ignored", () => {
    const { b, changes } = setup({ activeChecks: false });
    const down = { target: '10.0.0.2:80', address: '10.0.0.2:80', healthy: false };
    b.adoptHealth([down, { target: '10.9.9.9:80', address: '10.9.9.9:80', healthy: false }], 'node');
    expect(distribution(b, 4)).toEqual({ '10.0.0.1:80': 4 });
    b.adoptHealth([down], 'node');
    expect(changes).toEqual([{ upstream: 'backend', target: '10.0.0.2:80', address: '10.0.0.2:80', healthy: false, source: 'node' }]);
    b.adoptHealth([{ ...down, healthy: true }], 'node');
    expect(distribution(b, 4)).toEqual({ '10.0.0.1:80': 2, '10.0.0.2:80': 2 });
    expect(changes).toHaveLength(2);
  });

  it('adopts nothing for an upstream without health checks', () => {
    const { b, changes } = setup({ healthchecks: {} });
    b.adoptHealth([{ target: '10.0.0.2:80', address: '10.0.0.2:80', healthy: false }], 'node');
    expect(changes).toEqual([]);
    expect(b.health().map((t) => t.health)).toEqual(['HEALTHCHECKS_OFF', 'HEALTHCHECKS_OFF']);
  });
});
