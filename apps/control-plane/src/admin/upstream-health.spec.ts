// GET /upstreams/{u}/health over real HTTP against a real Postgres, in Kong's shapes; before any data
// plane reports, health comes from the config the way a freshly started Kong node answers.
import { useAdminHarness } from '../testing/admin-harness';
import { balancerHealth, targetWithHealth, type TargetHealthSource } from './target-health';

jest.setTimeout(60_000);

const { call } = useAdminHarness();

beforeAll(async () => {
  await call('POST', '/upstreams', { name: 'plain' });
  await call('POST', '/upstreams/plain/targets', { target: '10.0.0.1:8000', weight: 100 });
  await call('POST', '/upstreams/plain/targets', { target: 'api.example.test', weight: 50 });
  await call('POST', '/upstreams', { name: 'checked', healthchecks: { active: { healthy: { interval: 5 } } } });
  await call('POST', '/upstreams/checked/targets', { target: '10.0.0.2', weight: 10 });
  await call('POST', '/upstreams/checked/targets', { target: '10.0.0.3', weight: 0 });
});

describe('GET /upstreams/{u}/health', () => {
  it('lists every target with health HEALTHCHECKS_OFF when the upstream has no checks, with node_id and next null', async () => {
    const { status, body } = await call('GET', '/upstreams/plain/health');
    expect(status).toBe(200);
    expect(body.next).toBeNull();
    expect(body.node_id).toMatch(/^[0-9a-f-]{36}$/);
    const byTarget = Object.fromEntries(body.data.map((t: { target: string }) => [t.target, t]));
    expect(Object.keys(byTarget).sort()).toEqual(['10.0.0.1:8000', 'api.example.test:8000']);
    expect(byTarget['10.0.0.1:8000']).toMatchObject({
      weight: 100,
      health: 'HEALTHCHECKS_OFF',
      data: { host: '10.0.0.1', port: 8000, addresses: [{ ip: '10.0.0.1', port: 8000, weight: 100, health: 'HEALTHCHECKS_OFF' }] },
    });
    // a hostname is resolved on the data planes: no address is known until one reports
    expect(byTarget['api.example.test:8000']).toMatchObject({ health: 'HEALTHCHECKS_OFF', data: { host: 'api.example.test', addresses: [] } });
  });

  it('reports targets HEALTHY while checks are on and nothing has reported, and a weight-0 target HEALTHCHECKS_OFF', async () => {
    const { body } = await call('GET', '/upstreams/checked/health');
    const health = Object.fromEntries(body.data.map((t: { target: string; health: string }) => [t.target, t.health]));
    expect(health).toEqual({ '10.0.0.2:8000': 'HEALTHY', '10.0.0.3:8000': 'HEALTHCHECKS_OFF' });
  });

  it('pages like a list, with the next link on the health path', async () => {
    const first = await call('GET', '/upstreams/plain/health?size=1');
    expect(first.body.data).toHaveLength(1);
    expect(first.body.next).toBe(`/upstreams/plain/health?offset=${encodeURIComponent(first.body.offset)}&size=1`);
    const second = await call('GET', first.body.next);
    expect(second.body.data).toHaveLength(1);
    expect(second.body.next).toBeNull();
  });

  it('?balancer_health=1 answers the upstream as a whole', async () => {
    const checked = await call('GET', '/upstreams/checked/health?balancer_health=1');
    const id = (await call('GET', '/upstreams/checked')).body.id;
    expect(checked.body).toMatchObject({ next: null, data: { health: 'HEALTHY', balancer_health: 'HEALTHY', id } });
    expect(checked.body.data.details.weight).toEqual({ total: 10, available: 10, unavailable: 0 });
    const plain = await call('GET', '/upstreams/plain/health?balancer_health=1');
    expect(plain.body.data).toMatchObject({ health: 'HEALTHCHECKS_OFF', balancer_health: 'HEALTHY' });
  });

  it('answers 404 for an unknown upstream', async () => {
    const res = await call('GET', '/upstreams/nope/health');
    expect(res.status).toBe(404);
    expect(res.body.message).toBe('Not found');
  });
});

describe('target health reported by data planes', () => {
  const upstream = { id: 'u1', healthchecks: { active: { healthy: { interval: 0 }, unhealthy: { interval: 0 } }, passive: { unhealthy: { tcp_failures: 0, timeouts: 0, http_failures: 0 } }, threshold: 0 } };
  const target = { id: 't1', target: '10.0.0.9:8000', weight: 100 };
  const data = { host: '10.0.0.9', port: 8000, dns: 'A', nodeWeight: 100, weight: { total: 100, available: 0, unavailable: 100 }, addresses: [] };
  const source: TargetHealthSource = {
    healthOf: (u, t) => (u === 'u1' && t === 't1' ? { health: 'UNHEALTHY', data } : null),
    balancerHealthOf: () => ({ health: 'UNHEALTHY', balancer_health: 'UNHEALTHY', id: 'u1', details: { healthy: false, weight: data.weight, hosts: [data] } }),
  };

  it('shows what a data plane reported over what the config implies', () => {
    expect(targetWithHealth(source, upstream, target)).toEqual({ ...target, health: 'UNHEALTHY', data });
    expect(balancerHealth(source, upstream, [target]).health).toBe('UNHEALTHY');
  });
});
