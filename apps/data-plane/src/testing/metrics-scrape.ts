// Spec helpers for GET /metrics: scrape the status port, read one sample of the exposition text.
import { send } from './fixtures';

/** GET /metrics on a status port; throws unless it answered 200 with Prometheus's text format. */
export async function scrape(statusPort: number): Promise<string> {
  const res = await send(statusPort, { path: '/metrics' });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${res.body}`);
  if (res.headers['content-type'] !== 'text/plain; version=0.0.4; charset=utf-8') throw new Error(`GET /metrics content type: ${res.headers['content-type']}`);
  return res.body;
}

/**
 * The value of one series, written as it appears in the text (`name{a="x",b="y"}` with labels in the
 * family's order, or a bare name); null when the scrape does not show it.
 */
export function sample(text: string, series: string): number | null {
  const prefix = series + ' ';
  for (const line of text.split('\n')) if (line.startsWith(prefix)) return Number(line.slice(prefix.length));
  return null;
}
