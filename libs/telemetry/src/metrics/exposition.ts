// Prometheus's text exposition format, version 0.0.4: per family a HELP and a TYPE line, then one line
// per sample; histograms as cumulative `_bucket{le=...}` samples, `_sum` and `_count`.
import type { FamilySnapshot, MetricsSnapshot, SeriesSnapshot } from './metrics-snapshot';

/** The Content-Type a scrape answer carries. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** HELP text: backslash and line feed escaped. */
function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Label values: backslash, double quote and line feed escaped. */
export function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample value as Prometheus parses it (Go's ParseFloat): +Inf, -Inf, NaN or a decimal. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelSet(names: readonly string[], values: readonly string[], extra?: string): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) parts.push(`${names[i]}="${escapeLabelValue(values[i] ?? '')}"`);
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function histogramLines(f: FamilySnapshot, s: SeriesSnapshot, out: string[]): void {
  const bounds = f.buckets ?? [];
  const counts = s.counts ?? [];
  let cumulative = 0;
  for (let i = 0; i < bounds.length; i++) {
    cumulative += counts[i] ?? 0;
    out.push(`${f.name}_bucket${labelSet(f.labelNames, s.labels, `le="${formatValue(bounds[i])}"`)} ${formatValue(cumulative)}`);
  }
  out.push(`${f.name}_bucket${labelSet(f.labelNames, s.labels, 'le="+Inf"')} ${formatValue(s.count ?? 0)}`);
  const labels = labelSet(f.labelNames, s.labels);
  out.push(`${f.name}_sum${labels} ${formatValue(s.sum ?? 0)}`);
  out.push(`${f.name}_count${labels} ${formatValue(s.count ?? 0)}`);
}

/** The whole snapshot as exposition text (ends with a line feed). */
export function renderText(snapshot: MetricsSnapshot): string {
  const out: string[] = [];
  for (const f of snapshot) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.series) {
      if (f.type === 'histogram') histogramLines(f, s, out);
      else out.push(`${f.name}${labelSet(f.labelNames, s.labels)} ${formatValue(s.value ?? 0)}`);
    }
  }
  return out.length === 0 ? '' : out.join('\n') + '\n';
}
