// A registry's state as plain JSON: what a proxy worker sends its primary over IPC, what several
// processes' states merge into, and what the text exposition renders.

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** How a gauge's values from several processes combine: summed (connections) or the largest (states). */
export type GaugeMerge = 'sum' | 'max';

export interface SeriesSnapshot {
  /** values, in the order of the family's labelNames */
  labels: string[];
  /** counters and gauges */
  value?: number;
  /** histograms: observations per bucket (not cumulative), the last one for +Inf */
  counts?: number[];
  sum?: number;
  count?: number;
}

export interface FamilySnapshot {
  name: string;
  help: string;
  type: MetricType;
  labelNames: string[];
  /** gauges only */
  merge?: GaugeMerge;
  /** histograms only: the finite upper bounds */
  buckets?: number[];
  series: SeriesSnapshot[];
}

export type MetricsSnapshot = FamilySnapshot[];

const SEP = '\u0000';

function sameBuckets(a: number[] | undefined, b: number[] | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function mergeSeries(family: FamilySnapshot, into: SeriesSnapshot, s: SeriesSnapshot): void {
  if (family.type === 'histogram') {
    const counts = into.counts as number[];
    const add = s.counts ?? [];
    for (let i = 0; i < counts.length && i < add.length; i++) counts[i] += add[i];
    into.sum = (into.sum ?? 0) + (s.sum ?? 0);
    into.count = (into.count ?? 0) + (s.count ?? 0);
    return;
  }
  const v = s.value ?? 0;
  if (family.type === 'gauge' && family.merge === 'max') into.value = Math.max(into.value ?? v, v);
  else into.value = (into.value ?? 0) + v;
}

/**
 * Several processes' snapshots as one: families by name (the first one seen defines help, type and
 * buckets), series by label values; counters and histograms are summed, gauges as their `merge` says.
 * A family whose type or buckets disagree with the first one seen is left out of that source.
 */
export function mergeSnapshots(sources: readonly MetricsSnapshot[]): MetricsSnapshot {
  const families = new Map<string, { family: FamilySnapshot; series: Map<string, SeriesSnapshot> }>();
  for (const source of sources) {
    for (const f of source) {
      let entry = families.get(f.name);
      if (!entry) {
        entry = { family: { ...f, labelNames: [...f.labelNames], series: [] }, series: new Map() };
        if (f.buckets) entry.family.buckets = [...f.buckets];
        families.set(f.name, entry);
      } else if (entry.family.type !== f.type || (f.type === 'histogram' && !sameBuckets(entry.family.buckets, f.buckets))) {
        continue;
      }
      for (const s of f.series) {
        const key = s.labels.join(SEP);
        const into = entry.series.get(key);
        if (into) mergeSeries(entry.family, into, s);
        else {
          const copy: SeriesSnapshot = { ...s, labels: [...s.labels] };
          if (s.counts) copy.counts = [...s.counts];
          entry.series.set(key, copy);
          entry.family.series.push(copy);
        }
      }
    }
  }
  return [...families.values()].map((e) => e.family);
}
