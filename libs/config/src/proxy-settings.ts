// Parsers for the data plane's process and downstream settings (workers, drain, limits, trusted IPs,
// response headers). Durations and sizes are written as nginx writes them in kong.conf: `30s`, `500ms`,
// `2m`, `32k`; a bare number is seconds (durations) or bytes (sizes).
import { availableParallelism } from 'node:os';
import { parseCidr, type Cidr } from './cidr';

/** Thrown by the parsers below; settings.ts turns it into its SettingsError. */
export class SettingValueError extends Error {}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `30s`, `500ms`, `2m`, `1h` or seconds -> milliseconds. */
export function parseDuration(raw: string, name: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(raw);
  if (!m) throw new SettingValueError(`${name}: expected a duration such as 30s, 500ms or 2m, got '${raw}'`);
  return Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? 's').toLowerCase()]);
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 * 1024 };

/** `32k`, `1m` or bytes -> bytes. */
export function parseSize(raw: string, name: string): number {
  const m = /^\s*(\d+)\s*([km]?)b?\s*$/i.exec(raw);
  const n = m ? Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()] : NaN;
  if (!m || n < 1) throw new SettingValueError(`${name}: expected a size in bytes such as 32k or 16384, got '${raw}'`);
  return n;
}

/** The number of CPUs this process may use (`auto`, as nginx's worker_processes). */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** `auto` or a whole number from 1: how many proxy worker processes. */
export function parseWorkers(raw: string, name: string): number {
  if (raw.trim() === 'auto') return defaultWorkers();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    throw new SettingValueError(`${name}: expected auto or a whole number from 1 (1 runs a single process), got '${raw}'`);
  return n;
}

/** Comma-separated IPs and CIDR blocks, IPv4 or IPv6 (`0.0.0.0/0,::/0` trusts everyone). */
export function parseTrustedIps(raw: string, name: string): Cidr[] {
  const out: Cidr[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const cidr = parseCidr(item);
    if (!cidr) throw new SettingValueError(`${name}: '${item}' is not an IP address or CIDR block (10.0.0.0/8, 2001:db8::/32)`);
    out.push(cidr);
  }
  return out;
}

/** Which informational headers the proxy adds to responses (Kong's `headers` setting). */
export interface ResponseHeaderFlags {
  /** `Server: archway/x.y.z` on responses the gateway generates */
  server: boolean;
  /** `Via: 1.1 archway/x.y.z` on proxied responses */
  via: boolean;
  /** X-Archway-Proxy-Latency on proxied responses */
  proxyLatency: boolean;
  /** X-Archway-Upstream-Latency on proxied responses */
  upstreamLatency: boolean;
  /** X-Archway-Response-Latency on responses the gateway generates */
  responseLatency: boolean;
  /** X-Archway-Request-Id on every response */
  requestId: boolean;
}

type Flag = keyof ResponseHeaderFlags;

/** Kong's tokens (server_tokens, latency_tokens) and single header names, lower-cased. */
const HEADER_TOKENS: Record<string, Flag[]> = {
  server_tokens: ['server', 'via'],
  latency_tokens: ['proxyLatency', 'upstreamLatency', 'responseLatency'],
  server: ['server'],
  via: ['via'],
  'x-archway-proxy-latency': ['proxyLatency'],
  'x-archway-upstream-latency': ['upstreamLatency'],
  'x-archway-response-latency': ['responseLatency'],
  'x-archway-request-id': ['requestId'],
};

export const ALL_RESPONSE_HEADERS: Readonly<ResponseHeaderFlags> = Object.freeze({
  server: true,
  via: true,
  proxyLatency: true,
  upstreamLatency: true,
  responseLatency: true,
  requestId: true,
});

/** `server_tokens, latency_tokens, X-Archway-Request-Id` (the default), single header names, or `off`. */
export function parseResponseHeaders(raw: string, name: string): ResponseHeaderFlags {
  const items = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const out: ResponseHeaderFlags = { server: false, via: false, proxyLatency: false, upstreamLatency: false, responseLatency: false, requestId: false };
  if (items.length === 1 && items[0] === 'off') return out;
  for (const item of items) {
    const flags = HEADER_TOKENS[item];
    if (!flags)
      throw new SettingValueError(
        `${name}: unknown value '${item}'; expected off, or a comma-separated list of server_tokens, latency_tokens, X-Archway-Request-Id, ` +
          'Server, Via, X-Archway-Proxy-Latency, X-Archway-Upstream-Latency, X-Archway-Response-Latency',
      );
    for (const f of flags) out[f] = true;
  }
  return out;
}
