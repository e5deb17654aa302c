// A process's metric families: define them once (names checked, no duplicates), then snapshot them as
// JSON or render them as Prometheus text. Recording costs nothing here: callers hold their series.
import { renderText } from './exposition';
import {
  Counter, Gauge, Histogram, MetricDefinitionError, type FamilyOptions, type GaugeOptions, type HistogramOptions,
} from './metric-families';
import type { MetricsSnapshot } from './metrics-snapshot';

type AnyFamily = Counter | Gauge | Histogram;

export class MetricsRegistry {
  readonly #families = new Map<string, AnyFamily>();

  counter(o: FamilyOptions): Counter {
    return this.#add(new Counter(o));
  }

  gauge(o: GaugeOptions): Gauge {
    return this.#add(new Gauge(o));
  }

  histogram(o: HistogramOptions): Histogram {
    return this.#add(new Histogram(o));
  }

  /** Every family's series, in definition order, as plain JSON (safe to send over IPC). */
  snapshot(): MetricsSnapshot {
    return [...this.#families.values()].map((f) => f.snapshot());
  }

  /** Prometheus text format 0.0.4 (serve with PROMETHEUS_CONTENT_TYPE). */
  render(): string {
    return renderText(this.snapshot());
  }

  #add<F extends AnyFamily>(family: F): F {
    if (this.#families.has(family.name)) throw new MetricDefinitionError(`metric ${family.name} is already defined`);
    this.#families.set(family.name, family);
    return family;
  }
}
