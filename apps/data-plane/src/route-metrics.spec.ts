// Every route's metric series is made when a config is compiled, a few hundred routes per step (a data
// plane compiles between requests: 10,000 routes' series at once held its event loop for 4-14 ms), and
// a one-route change keeps the series of the others.
import { runSteps, type Route } from '@archway/schema';
import { ProxyMetrics } from './proxy-metrics';
import { makeRoute, makeService } from './testing/fixtures';

describe('route metric series', () => {
  const svc = makeService({ name: 'orders', port: 9 });
  const routes: Route[] = [];
  for (let i = 0; i < 2_000; i++) routes.push(makeRoute(svc, { name: `r${i}`, paths: [`/r${i}`] }));
  const config = { routes, services: [svc] };

  it("are made for every route, labelled with its service's and its own name, in a step per 256 routes", () => {
    const metrics = new ProxyMetrics();
    const build = metrics.routesSteps(config);
    let steps = 0;
    let r = build.next();
    for (; !r.done; r = build.next()) steps++;
    expect(steps).toBeGreaterThanOrEqual(2_000 / 256 - 1);
    expect(r.value.forRoute(routes[1999])).toMatchObject({ service: 'orders', route: 'r1999' });
  });

  it('are kept for the routes a one-route change leaves alone, and made for the new one', () => {
    const metrics = new ProxyMetrics();
    const before = runSteps(metrics.routesSteps(config));
    const added = makeRoute(svc, { name: 'new', paths: ['/new'] });
    const after = runSteps(metrics.routesSteps({ routes: [...routes, added], services: config.services }, before, { added: [added], removed: [] }));
    expect(after.forRoute(routes[7])).toBe(before.forRoute(routes[7]));
    expect(after.forRoute(added)).toMatchObject({ route: 'new' });
    expect(after.forRoute(added)).not.toBe(metrics.unmatched);
  });
});
