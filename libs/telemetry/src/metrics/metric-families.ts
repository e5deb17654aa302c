// Metric families (counter, gauge, histogram) and their series. A family keeps one series per label
// set; `labels()` finds or creates it (a map lookup on the joined values) and is meant for set-up time:
// the hot path keeps the series it got and calls inc/set/observe on it, which touch only numbers.
import type { FamilySnapshot, GaugeMerge, MetricType, SeriesSnapshot } from './metrics-snapshot';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export class MetricDefinitionError extends Error {
  readonly code = 'ARCHWAY_METRIC_DEFINITION';
}

export interface FamilyOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

export interface GaugeOptions extends FamilyOptions {
  /** how the values of several processes (proxy workers) combine into one; default 'sum' */
  merge?: GaugeMerge;
}

export interface HistogramOptions extends FamilyOptions {
  /** upper bounds, strictly increasing; +Inf is implied */
  buckets: readonly number[];
}

function checkDefinition(o: FamilyOptions, reserved: readonly string[]): void {
  if (!METRIC_NAME.test(o.name)) throw new MetricDefinitionError(`invalid metric name '${o.name}': use [a-zA-Z_:][a-zA-Z0-9_:]*`);
  const seen = new Set<string>();
  for (const l of o.labelNames ?? []) {
    if (!LABEL_NAME.test(l) || l.startsWith('__')) throw new MetricDefinitionError(`metric ${o.name}: invalid label name '${l}'`);
    if (reserved.includes(l)) throw new MetricDefinitionError(`metric ${o.name}: label name '${l}' is reserved`);
    if (seen.has(l)) throw new MetricDefinitionError(`metric ${o.name}: label '${l}' appears twice`);
    seen.add(l);
  }
}

/** Series are keyed by their label values joined with a character no sane label value contains. */
const SEP = '\u0000';

abstract class Family<S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  abstract readonly type: MetricType;
  readonly #series = new Map<string, { labels: readonly string[]; series: S }>();

  constructor(o: FamilyOptions, reserved: readonly string[] = []) {
    checkDefinition(o, reserved);
    this.name = o.name;
    this.help = o.help;
    this.labelNames = [...(o.labelNames ?? [])];
  }

  protected abstract create(): S;
  protected abstract snapshotOf(series: S, labels: readonly string[]): SeriesSnapshot;

  /** The series for these label values (one per label name, in order), created at first use. */
  labels(...values: string[]): S {
    if (values.length !== this.labelNames.length)
      throw new MetricDefinitionError(`metric ${this.name}: expected ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${values.length}`);
    const key = values.join(SEP);
    let entry = this.#series.get(key);
    if (!entry) {
      entry = { labels: values.map(String), series: this.create() };
      this.#series.set(key, entry);
    }
    return entry.series;
  }

  /** Forgets one series (a scrape no longer shows it). */
  remove(...values: string[]): void {
    this.#series.delete(values.join(SEP));
  }

  /** Forgets every series; for gauges rebuilt at each scrape (series of removed entities disappear). */
  reset(): void {
    this.#series.clear();
  }

  snapshot(): FamilySnapshot {
    const series: SeriesSnapshot[] = [];
    for (const e of this.#series.values()) series.push(this.snapshotOf(e.series, e.labels));
    return this.describe(series);
  }

  protected describe(series: SeriesSnapshot[]): FamilySnapshot {
    return { name: this.name, help: this.help, type: this.type, labelNames: [...this.labelNames], series };
  }
}

export class CounterSeries {
  value = 0;
  /** Adds `n` (default 1); counters only go up, so a negative `n` is ignored. */
  inc(n = 1): void {
    if (n > 0) this.value += n;
  }
}

export class GaugeSeries {
  value = 0;
  set(v: number): void {
    this.value = v;
  }
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
}

export class HistogramSeries {
  /** per bucket (not cumulative), the last slot is +Inf */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: Float64Array) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const bounds = this.bounds;
    let i = 0;
    // a linear scan: Kong's bucket lists have 13-15 bounds and most values fall in the first few
    while (i < bounds.length && v > bounds[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}

export class Counter extends Family<CounterSeries> {
  readonly type = 'counter';
  constructor(o: FamilyOptions) {
    super(o);
    if (this.labelNames.length === 0) this.labels(); // an unlabelled counter shows 0 before its first inc
  }
  protected create(): CounterSeries {
    return new CounterSeries();
  }
  protected snapshotOf(s: CounterSeries, labels: readonly string[]): SeriesSnapshot {
    return { labels: [...labels], value: s.value };
  }
}

export class Gauge extends Family<GaugeSeries> {
  readonly type = 'gauge';
  readonly merge: GaugeMerge;
  constructor(o: GaugeOptions) {
    super(o);
    this.merge = o.merge ?? 'sum';
    if (this.labelNames.length === 0) this.labels();
  }
  protected create(): GaugeSeries {
    return new GaugeSeries();
  }
  protected snapshotOf(s: GaugeSeries, labels: readonly string[]): SeriesSnapshot {
    return { labels: [...labels], value: s.value };
  }
  protected override describe(series: SeriesSnapshot[]): FamilySnapshot {
    return { ...super.describe(series), merge: this.merge };
  }
}

export class Histogram extends Family<HistogramSeries> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  readonly #bounds: Float64Array;
  constructor(o: HistogramOptions) {
    super(o, ['le']);
    const b = o.buckets;
    if (b.length === 0) throw new MetricDefinitionError(`metric ${o.name}: a histogram needs at least one bucket`);
    for (let i = 0; i < b.length; i++) {
      if (!Number.isFinite(b[i])) throw new MetricDefinitionError(`metric ${o.name}: bucket bounds must be finite (+Inf is implied)`);
      if (i > 0 && b[i] <= b[i - 1]) throw new MetricDefinitionError(`metric ${o.name}: bucket bounds must increase`);
    }
    this.buckets = [...b];
    this.#bounds = Float64Array.from(b);
    if (this.labelNames.length === 0) this.labels();
  }
  protected create(): HistogramSeries {
    return new HistogramSeries(this.#bounds);
  }
  protected snapshotOf(s: HistogramSeries, labels: readonly string[]): SeriesSnapshot {
    return { labels: [...labels], counts: Array.from(s.counts), sum: s.sum, count: s.count };
  }
  protected override describe(series: SeriesSnapshot[]): FamilySnapshot {
    return { ...super.describe(series), buckets: [...this.buckets] };
  }
}
