// What a proxy process (the data plane, or each of its workers) measures, named after Kong's prometheus
// plugin (kong/plugins/prometheus/exporter.lua) with the archway_ prefix: requests by status, latency
// histograms with Kong's buckets, bandwidth, upstream target health, plus what Kong has no name for:
// plugin failures and circuit-breaker state. docs/operations.md ("Metrics") lists them for operators.
import type { CircuitChange, CircuitState } from '@archway/balancer';
import type { Phase } from '@archway/pipeline';
import type { ConfigSet, Steps } from '@archway/schema';
import { MetricsRegistry, type Counter, type Gauge, type Histogram } from '@archway/telemetry';
import type { Balancers } from './balancers';
import { RouteMetrics, RouteSeries, type RouteChanges } from './route-metrics';

/** Kong's KONG_LATENCY_BUCKETS (ms): the gateway's own share of a request. */
export const ARCHWAY_LATENCY_BUCKETS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000];
/** Kong's UPSTREAM_LATENCY_BUCKETS (ms): the upstream's answer and the request as a whole. */
export const UPSTREAM_LATENCY_BUCKETS = [25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000];

/** Kong's phase names, as its logs and docs spell them. */
const PHASE_LABEL: Record<Phase, string> = {
  rewrite: 'rewrite',
  access: 'access',
  headerFilter: 'header_filter',
  bodyFilter: 'body_filter',
  log: 'log',
};

/** Kong's upstream_target_health states: one series per state, 1 for the current one. */
const HEALTH_STATES = ['healthchecks_off', 'healthy', 'unhealthy', 'dns_error'] as const;

const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

export class ProxyMetrics {
  readonly requests: Counter;
  readonly requestLatency: Histogram;
  readonly upstreamLatency: Histogram;
  readonly archwayLatency: Histogram;
  readonly bandwidth: Counter;
  readonly pluginErrors: Counter;
  readonly circuitTransitions: Counter;
  readonly circuitState: Gauge;
  readonly targetHealth: Gauge;
  readonly connections: Gauge;
  /** requests no route matched (and malformed ones): service and route labels are empty */
  readonly unmatched: RouteSeries;

  constructor(readonly registry: MetricsRegistry = new MetricsRegistry()) {
    const r = registry;
    const sr = ['service', 'route'];
    this.requests = r.counter({ name: 'archway_http_requests_total', help: 'HTTP status codes per service/route in Archway', labelNames: [...sr, 'code'] });
    this.requestLatency = r.histogram({
      name: 'archway_request_latency_ms',
      help: 'Total latency incurred during requests for each service/route in Archway',
      labelNames: sr,
      buckets: UPSTREAM_LATENCY_BUCKETS,
    });
    this.upstreamLatency = r.histogram({
      name: 'archway_upstream_latency_ms',
      help: 'Latency added by upstream response for each service/route in Archway',
      labelNames: sr,
      buckets: UPSTREAM_LATENCY_BUCKETS,
    });
    this.archwayLatency = r.histogram({
      name: 'archway_archway_latency_ms',
      help: 'Latency added by Archway and enabled plugins for each service/route in Archway',
      labelNames: sr,
      buckets: ARCHWAY_LATENCY_BUCKETS,
    });
    this.bandwidth = r.counter({ name: 'archway_bandwidth_bytes', help: 'Total bandwidth (ingress/egress) throughput in bytes', labelNames: [...sr, 'direction'] });
    this.pluginErrors = r.counter({ name: 'archway_plugin_errors_total', help: 'Plugin failures (exceptions) by plugin and phase; the request got a 500 unless the phase was log', labelNames: ['plugin', 'phase'] });
    this.circuitTransitions = r.counter({
      name: 'archway_circuit_breaker_transitions_total',
      help: 'Circuit breaker state changes per upstream target',
      labelNames: ['upstream', 'target', 'from', 'to'],
    });
    this.circuitState = r.gauge({
      name: 'archway_circuit_breaker_state',
      help: 'Circuit breaker state of each upstream target address: 0 closed, 1 half_open, 2 open (with workers, the most open any worker sees)',
      labelNames: ['upstream', 'target', 'address'],
      merge: 'max',
    });
    this.targetHealth = r.gauge({
      name: 'archway_upstream_target_health',
      help: 'Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.',
      labelNames: ['upstream', 'target', 'address', 'state'],
      merge: 'max',
    });
    this.connections = r.gauge({ name: 'archway_connections', help: 'Number of client connections to the proxy listeners', labelNames: ['state'] });
    this.unmatched = new RouteSeries(this, '', '');
  }

  /** The per-route series of a snapshot (runtime-config.ts, at apply), in steps; those of `previous` kept for the routes `changes` leaves alone. */
  routesSteps(config: Pick<ConfigSet, 'routes' | 'services'>, previous?: RouteMetrics | null, changes?: RouteChanges | null): Steps<RouteMetrics> {
    return RouteMetrics.buildSteps(this, config, previous, changes);
  }

  /** A plugin threw (PluginError's plugin and phase). Rare: the series is looked up here. */
  pluginError(plugin: string, phase: Phase): void {
    this.pluginErrors.labels(plugin, PHASE_LABEL[phase] ?? String(phase)).inc();
  }

  circuitChange(e: CircuitChange): void {
    this.circuitTransitions.labels(e.upstream, e.target, e.from, e.to).inc();
  }

  /** Scrape time: the gauges read from live state (connections, target health, circuit states). */
  collect(connectionsActive: number, balancers: Balancers | null | undefined): void {
    this.connections.labels('active').set(connectionsActive);
    this.targetHealth.reset();
    this.circuitState.reset();
    if (!balancers) return;
    for (const b of balancers.values()) {
      const upstream = b.upstream.name;
      for (const t of b.health()) {
        const addresses = t.data.addresses;
        if (addresses.length === 0) {
          this.#health(upstream, t.target, '', 'dns_error');
          continue;
        }
        for (const a of addresses) {
          const address = a.ip.includes(':') ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`;
          this.#health(upstream, t.target, address, a.health.toLowerCase());
          if (a.circuit !== undefined) this.circuitState.labels(upstream, t.target, address).set(CIRCUIT_VALUE[a.circuit]);
        }
      }
    }
  }

  #health(upstream: string, target: string, address: string, state: string): void {
    for (const s of HEALTH_STATES) this.targetHealth.labels(upstream, target, address, s).set(s === state ? 1 : 0);
  }
}
