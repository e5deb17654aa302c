import { renderText } from './exposition';
import { MetricsRegistry } from './metrics-registry';
import { mergeSnapshots } from './metrics-snapshot';

/** What one proxy worker would report: the same definitions in every process. */
function worker() {
  const r = new MetricsRegistry();
  return {
    r,
    requests: r.counter({ name: 'req_total', help: 'requests', labelNames: ['route', 'code'] }),
    latency: r.histogram({ name: 'lat_ms', help: 'latency', labelNames: ['route'], buckets: [10, 100] }),
    connections: r.gauge({ name: 'conn', help: 'connections', labelNames: ['state'] }),
    health: r.gauge({ name: 'health', help: 'state', labelNames: ['target', 'state'], merge: 'max' }),
  };
}

describe('mergeSnapshots (the primary summing its workers)', () => {
  it('sums counters and histograms by label set, and keeps series only one process has', () => {
    const a = worker();
    const b = worker();
    a.requests.labels('r1', '200').inc(3);
    b.requests.labels('r1', '200').inc(4);
    b.requests.labels('r1', '500').inc();
    a.latency.labels('r1').observe(5);
    b.latency.labels('r1').observe(50);
    b.latency.labels('r1').observe(500);
    const text = renderText(mergeSnapshots([a.r.snapshot(), b.r.snapshot()]));
    expect(text).toContain('req_total{route="r1",code="200"} 7\n');
    expect(text).toContain('req_total{route="r1",code="500"} 1\n');
    expect(text).toContain(['lat_ms_bucket{route="r1",le="10"} 1', 'lat_ms_bucket{route="r1",le="100"} 2', 'lat_ms_bucket{route="r1",le="+Inf"} 3', 'lat_ms_sum{route="r1"} 555', 'lat_ms_count{route="r1"} 3'].join('\n'));
    // one HELP/TYPE per family, not one per source
    expect(text.match(/# TYPE req_total counter/g)).toHaveLength(1);
  });

  it("sums 'sum' gauges (connections) and takes the largest of 'max' gauges (states)", () => {
    const a = worker();
    const b = worker();
    a.connections.labels('active').set(2);
    b.connections.labels('active').set(5);
    a.health.labels('t1', 'healthy').set(1);
    b.health.labels('t1', 'healthy').set(1);
    a.health.labels('t1', 'unhealthy').set(0);
    b.health.labels('t1', 'unhealthy').set(1);
    const text = renderText(mergeSnapshots([a.r.snapshot(), b.r.snapshot()]));
    expect(text).toContain('conn{state="active"} 7\n');
    expect(text).toContain('health{target="t1",state="healthy"} 1\n');
    expect(text).toContain('health{target="t1",state="unhealthy"} 1\n');
  });

  it('does not change the snapshots it merges', () => {
    const a = worker();
    a.requests.labels('r1', '200').inc();
    a.latency.labels('r1').observe(1);
    const snap = a.r.snapshot();
    const before = JSON.stringify(snap);
    mergeSnapshots([snap, snap]);
    expect(JSON.stringify(snap)).toBe(before);
  });

  it('survives JSON (the IPC channel) unchanged', () => {
    const a = worker();
    a.latency.labels('r1').observe(42);
    const snap = a.r.snapshot();
    expect(renderText(JSON.parse(JSON.stringify(snap)))).toBe(a.r.render());
  });

  it('leaves out a source whose family disagrees on type or buckets', () => {
    const a = worker();
    const odd = new MetricsRegistry();
    odd.histogram({ name: 'lat_ms', help: 'latency', labelNames: ['route'], buckets: [1, 2] }).labels('r1').observe(1);
    a.latency.labels('r1').observe(5);
    const text = renderText(mergeSnapshots([a.r.snapshot(), odd.snapshot()]));
    expect(text).toContain('lat_ms_count{route="r1"} 1\n');
  });
});
