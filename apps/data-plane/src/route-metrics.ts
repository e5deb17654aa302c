// Per-route series, compiled at snapshot apply: the label values (Kong's: service name or host, route
// name or id) are resolved once, so recording a request is a few additions on numbers it already holds.
// A route's series are created on its first request, so routes without traffic add nothing to a scrape.
import { forEachInSteps, type ConfigSet, type Route, type Steps } from '@archway/schema';
import type { CounterSeries, HistogramSeries } from '@archway/telemetry';
import type { ProxyMetrics } from './proxy-metrics';

export class RouteSeries {
  /** status codes seen on this route and their counters (a route answers few distinct codes: a linear scan) */
  readonly #codes: number[] = [];
  readonly #byCode: CounterSeries[] = [];
  #request: HistogramSeries | null = null;
  #upstream: HistogramSeries | null = null;
  #archway: HistogramSeries | null = null;
  #ingress: CounterSeries | null = null;
  #egress: CounterSeries | null = null;

  constructor(
    readonly metrics: ProxyMetrics,
    readonly service: string,
    readonly route: string,
  ) {}

  /**
   * One finished request. `totalMs` < 0: no latency is known (unmatched requests); `upstreamMs` < 0:
   * no upstream answered, so all the time was the gateway's.
   */
  record(status: number, totalMs: number, upstreamMs: number, bytesIn: number, bytesOut: number): void {
    if (this.#ingress === null) this.#create();
    this.#counterFor(status).inc();
    if (bytesIn > 0) (this.#ingress as CounterSeries).inc(bytesIn);
    if (bytesOut > 0) (this.#egress as CounterSeries).inc(bytesOut);
    if (totalMs < 0) return;
    (this.#request as HistogramSeries).observe(totalMs);
    if (upstreamMs >= 0) {
      (this.#upstream as HistogramSeries).observe(upstreamMs);
      (this.#archway as HistogramSeries).observe(totalMs > upstreamMs ? totalMs - upstreamMs : 0);
    } else (this.#archway as HistogramSeries).observe(totalMs);
  }

  /** An upgraded (websocket) connection: counted with its whole lifetime as the request latency, as nginx logs it. */
  recordUpgraded(status: number, totalMs: number, bytesIn: number, bytesOut: number): void {
    if (this.#ingress === null) this.#create();
    this.#counterFor(status).inc();
    if (bytesIn > 0) (this.#ingress as CounterSeries).inc(bytesIn);
    if (bytesOut > 0) (this.#egress as CounterSeries).inc(bytesOut);
    if (totalMs >= 0) (this.#request as HistogramSeries).observe(totalMs);
  }

  #counterFor(status: number): CounterSeries {
    const codes = this.#codes;
    for (let i = 0; i < codes.length; i++) if (codes[i] === status) return this.#byCode[i];
    const series = this.metrics.requests.labels(this.service, this.route, String(status));
    codes.push(status);
    this.#byCode.push(series);
    return series;
  }

  #create(): void {
    const m = this.metrics;
    this.#request = m.requestLatency.labels(this.service, this.route);
    this.#upstream = m.upstreamLatency.labels(this.service, this.route);
    this.#archway = m.archwayLatency.labels(this.service, this.route);
    this.#ingress = m.bandwidth.labels(this.service, this.route, 'ingress');
    this.#egress = m.bandwidth.labels(this.service, this.route, 'egress');
  }
}

/** Routes added (new objects) and removed since the previous config, as CompileCache.routeChangesSteps tells them. */
export interface RouteChanges {
  readonly added: readonly Route[];
  readonly removed: readonly Route[];
}

/** Every route of one runtime config, by id. */
export class RouteMetrics {
  /**
   * May be shared with the RouteMetrics of earlier configs (see the constructor): holds every route of
   * this config, and may hold ids of routes this config does not have (`#stale` of them), which its
   * router never matches.
   */
  readonly #byId: Map<string, RouteSeries>;
  /** the services the labels were resolved with */
  readonly #services: ConfigSet['services'];
  readonly #stale: number;

  /** Use RouteMetrics.buildSteps. */
  private constructor(
    readonly metrics: ProxyMetrics,
    services: ConfigSet['services'],
    byId: Map<string, RouteSeries>,
    stale: number,
  ) {
    this.#services = services;
    this.#byId = byId;
    this.#stale = stale;
  }

  /**
   * The series of `config`'s routes. With `previous` (the series of the config before) and the route
   * `changes` since, when the services are the same array: the series of unchanged routes are kept, and
   * only those of added routes made. As long as no kept id changes its labels, the map is shared with
   * `previous` and added to in place (the previous config never looks up an id it does not have, and
   * finds its own as they were); ids of removed routes stay in it until they are a quarter of it.
   * Otherwise every route's series is made, a few hundred per step (10,000 routes are a few ms).
   */
  static *buildSteps(
    metrics: ProxyMetrics,
    config: Pick<ConfigSet, 'routes' | 'services'>,
    previous?: RouteMetrics | null,
    changes?: RouteChanges | null,
  ): Steps<RouteMetrics> {
    const serviceLabel = new Map<string, string>();
    const labelOf = (r: Route) => {
      if (serviceLabel.size === 0) for (const s of config.services) serviceLabel.set(s.id, s.name ?? s.host);
      return serviceLabel.get(r.service?.id ?? '') ?? '';
    };
    if (previous && changes && previous.metrics === metrics && previous.#services === config.services) {
      const byId = previous.#byId;
      let relabelled = false;
      for (const r of changes.added) {
        const old = byId.get(r.id);
        if (old !== undefined && (old.service !== labelOf(r) || old.route !== (r.name ?? r.id))) relabelled = true;
      }
      const addedIds = new Set(changes.added.map((r) => r.id));
      const stale = previous.#stale + changes.removed.filter((r) => !addedIds.has(r.id)).length;
      if (!relabelled && stale <= byId.size / 4) {
        for (const r of changes.added) if (!byId.has(r.id)) byId.set(r.id, new RouteSeries(metrics, labelOf(r), r.name ?? r.id));
        return new RouteMetrics(metrics, config.services, byId, stale);
      }
    }
    const byId = new Map<string, RouteSeries>();
    yield* forEachInSteps(config.routes, (r) => byId.set(r.id, new RouteSeries(metrics, labelOf(r), r.name ?? r.id)), SERIES_PER_STEP);
    return new RouteMetrics(metrics, config.services, byId, 0);
  }

  /** The series of a route the router matched (every one was compiled with the snapshot). */
  forRoute(route: Route): RouteSeries {
    return this.#byId.get(route.id) ?? this.metrics.unmatched;
  }
}

/** Route series made between two steps of RouteMetrics.buildSteps. */
const SERIES_PER_STEP = 256;
