import { MetricDefinitionError } from './metric-families';
import { MetricsRegistry } from './metrics-registry';
import { PROMETHEUS_CONTENT_TYPE } from './exposition';

describe('MetricsRegistry text exposition (Prometheus 0.0.4)', () => {
  it('renders a labelled counter with HELP and TYPE, one line per label set', () => {
    const r = new MetricsRegistry();
    const c = r.counter({ name: 'archway_http_requests_total', help: 'HTTP status codes per service/route', labelNames: ['service', 'route', 'code'] });
    c.labels('svc', 'r1', '200').inc();
    c.labels('svc', 'r1', '200').inc(2);
    c.labels('svc', 'r1', '404').inc();
    expect(r.render()).toBe(
      [
        '# HELP archway_http_requests_total HTTP status codes per service/route',
        '# TYPE archway_http_requests_total counter',
        'archway_http_requests_total{service="svc",route="r1",code="200"} 3',
        'archway_http_requests_total{service="svc",route="r1",code="404"} 1',
        '',
      ].join('\n'),
    );
  });

  it('shows an unlabelled counter or gauge as 0 before anything is recorded', () => {
    const r = new MetricsRegistry();
    r.counter({ name: 'a_total', help: 'a' });
    r.gauge({ name: 'b', help: 'b' });
    expect(r.render()).toContain('\na_total 0\n');
    expect(r.render()).toContain('\nb 0\n');
  });

  it('counters ignore negative increments; gauges go both ways', () => {
    const r = new MetricsRegistry();
    const c = r.counter({ name: 'c_total', help: 'c' }).labels();
    c.inc(5);
    c.inc(-3);
    const g = r.gauge({ name: 'g', help: 'g' }).labels();
    g.set(4);
    g.dec();
    g.inc(0.5);
    expect(c.value).toBe(5);
    expect(g.value).toBe(3.5);
  });

  it('renders a histogram as cumulative buckets with +Inf, then _sum and _count', () => {
    const r = new MetricsRegistry();
    const h = r.histogram({ name: 'lat_ms', help: 'latency', labelNames: ['route'], buckets: [1, 5, 10] });
    const s = h.labels('r1');
    for (const v of [0.5, 1, 3, 7, 10, 11]) s.observe(v);
    const text = r.render();
    expect(text).toContain(
      [
        'lat_ms_bucket{route="r1",le="1"} 2',
        'lat_ms_bucket{route="r1",le="5"} 3',
        'lat_ms_bucket{route="r1",le="10"} 5',
        'lat_ms_bucket{route="r1",le="+Inf"} 6',
        'lat_ms_sum{route="r1"} 32.5',
        'lat_ms_count{route="r1"} 6',
      ].join('\n'),
    );
    expect(text.startsWith('# HELP lat_ms latency\n# TYPE lat_ms histogram\n')).toBe(true);
  });

  it('escapes label values (backslash, double quote, line feed) and HELP text (backslash, line feed)', () => {
    const r = new MetricsRegistry();
    r.gauge({ name: 'g', help: 'a \\ b\nc', labelNames: ['v'] }).labels('x"y\\z\nw').set(1);
    expect(r.render()).toBe('# HELP g a \\\\ b\\nc\n# TYPE g gauge\ng{v="x\\"y\\\\z\\nw"} 1\n');
  });

  it('formats special values as Prometheus parses them', () => {
    const r = new MetricsRegistry();
    const g = r.gauge({ name: 'g', help: 'g', labelNames: ['k'] });
    g.labels('inf').set(Infinity);
    g.labels('ninf').set(-Infinity);
    g.labels('nan').set(NaN);
    g.labels('frac').set(0.25);
    const text = r.render();
    expect(text).toContain('g{k="inf"} +Inf');
    expect(text).toContain('g{k="ninf"} -Inf');
    expect(text).toContain('g{k="nan"} NaN');
    expect(text).toContain('g{k="frac"} 0.25');
  });

  it('labels() returns the same series for the same values, so held series and lookups agree', () => {
    const r = new MetricsRegistry();
    const c = r.counter({ name: 'c_total', help: 'c', labelNames: ['a', 'b'] });
    const held = c.labels('x', 'y');
    held.inc();
    c.labels('x', 'y').inc();
    expect(held.value).toBe(2);
    // values are not confused by joining: ('x', 'y') is not ('xy', '')
    c.labels('xy', '').inc();
    expect(held.value).toBe(2);
  });

  it('reset() and remove() drop series from the next scrape', () => {
    const r = new MetricsRegistry();
    const g = r.gauge({ name: 'g', help: 'g', labelNames: ['t'] });
    g.labels('a').set(1);
    g.labels('b').set(1);
    g.remove('a');
    expect(r.render()).not.toContain('t="a"');
    g.reset();
    expect(r.render()).toBe('# HELP g g\n# TYPE g gauge\n');
  });

  it('rejects bad definitions with a clear error', () => {
    const r = new MetricsRegistry();
    r.counter({ name: 'dup_total', help: 'x' });
    expect(() => r.counter({ name: 'dup_total', help: 'x' })).toThrow(/already defined/);
    expect(() => r.counter({ name: '9bad', help: 'x' })).toThrow(MetricDefinitionError);
    expect(() => r.counter({ name: 'ok_total', help: 'x', labelNames: ['__x'] })).toThrow(/invalid label name/);
    expect(() => r.counter({ name: 'ok2_total', help: 'x', labelNames: ['a', 'a'] })).toThrow(/twice/);
    expect(() => r.histogram({ name: 'h', help: 'x', labelNames: ['le'], buckets: [1] })).toThrow(/reserved/);
    expect(() => r.histogram({ name: 'h2', help: 'x', buckets: [5, 1] })).toThrow(/increase/);
    expect(() => r.histogram({ name: 'h3', help: 'x', buckets: [] })).toThrow(/at least one/);
    const c = r.counter({ name: 'l_total', help: 'x', labelNames: ['a', 'b'] });
    expect(() => c.labels('only-one')).toThrow(/expected 2 label values \(a, b\), got 1/);
  });

  it('serves the 0.0.4 content type', () => {
    expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});
