// What rate-limiting knows of its configured periods before any request (their limits, texts and
// header names, built once per plugin instance), and the client headers it builds from a request's
// counts: Kong's X-RateLimit-Limit/Remaining-<Period> per period, then RateLimit-Limit/Remaining/Reset
// for the window with the fewest requests left.
import { PERIODS } from './schema';
import { EXPIRATION, secondsToReset, type Period } from './windows';

/** One configured period, everything about it that no request changes. */
export interface Limit {
  period: Period;
  /** index of the period in PERIODS (the local counters' series) */
  slot: number;
  limit: number;
  /** decimal(limit), sent in every response */
  limitText: string;
  expiration: number;
}

const title = (p: string): string => p[0].toUpperCase() + p.slice(1);

/** every header name this plugin sets, lower-cased once (header_filter replaces the upstream's own) */
const LOWER: Readonly<Record<string, string>> = Object.fromEntries(
  ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', ...PERIODS.flatMap((p) => [`X-RateLimit-Limit-${title(p)}`, `X-RateLimit-Remaining-${title(p)}`])].map((n) => [
    n,
    n.toLowerCase(),
  ]),
);

/**
 * String(n) for a non-negative integer. Counts above 2^30 are heap numbers, which V8 prints through
 * its double-to-string path (several times slower): a limit of 10^12 puts two in every response.
 */
export function decimal(n: number): string {
  if (n < 1e9) return String(n);
  const high = Math.floor(n / 1e9);
  return String(high) + String(n - high * 1e9).padStart(9, '0');
}

/** The configured periods of a plugin config, shortest first. */
export function limitsOf(config: Record<string, unknown>): Limit[] {
  const limits: Limit[] = [];
  PERIODS.forEach((period, slot) => {
    const limit = config[period];
    if (typeof limit === 'number') limits.push({ period, slot, limit, limitText: decimal(limit), expiration: EXPIRATION[period] });
  });
  return limits;
}

/** The client headers' names in Kong's order, for `limits`. */
export function headerNames(limits: readonly Limit[]): string[] {
  return [...limits.flatMap((l) => [`X-RateLimit-Limit-${title(l.period)}`, `X-RateLimit-Remaining-${title(l.period)}`]), 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'];
}

/**
 * The client headers for one request, as [name, value, ...] in `names` order (the names travel with
 * the values: header_filter may run on another instance, one scoped to the consumer). `used`: the
 * counts before this request; `stop`: the window over its limit (-1: none).
 */
export function clientHeaders(limits: readonly Limit[], names: readonly string[], now: number, starts: readonly number[], used: readonly number[], stop: number): string[] {
  const n = limits.length;
  const list = new Array<string>(2 * names.length);
  let best = -1;
  let bestRemaining = 0;
  for (let i = 0; i < n; i++) {
    const l = limits[i];
    let remaining = l.limit - used[i];
    if (stop < 0 || stop === i) remaining -= 1;
    if (remaining < 0) remaining = 0;
    // RateLimit-* describe the window with the fewest requests left (the longest one on a tie)
    if (best < 0 || remaining < bestRemaining || (remaining === bestRemaining && l.expiration > limits[best].expiration)) {
      best = i;
      bestRemaining = remaining;
    }
    list[4 * i] = names[2 * i];
    list[4 * i + 1] = l.limitText;
    list[4 * i + 2] = names[2 * i + 1];
    list[4 * i + 3] = decimal(remaining);
  }
  list[4 * n] = names[2 * n];
  list[4 * n + 1] = limits[best].limitText;
  list[4 * n + 2] = names[2 * n + 1];
  list[4 * n + 3] = list[4 * best + 3];
  list[4 * n + 4] = names[2 * n + 2];
  list[4 * n + 5] = String(secondsToReset(limits[best].period, now, starts[best]));
  return list;
}

/** Sets the client headers on the response, replacing the upstream's own whatever their case. */
export function setClientHeaders(out: Record<string, unknown>, list: readonly string[]): void {
  for (let i = 0; i < list.length; i += 2) {
    const lower = LOWER[list[i]];
    if (out[lower] !== undefined) delete out[lower];
    out[list[i]] = list[i + 1];
  }
}
