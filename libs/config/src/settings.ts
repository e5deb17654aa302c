// The one place that maps settings to defaults, environment variables (ARCHWAY_*) and CLI flags
// (--proxy-listen ...). Names follow Kong's kong.conf settings.
import { isLogLevel, type LogLevel } from '@archway/telemetry';
import { AdminTokenError, mergeAdminTokens, parseAdminTokenList, readAdminTokensFile, type AdminToken } from './admin-tokens';
import type { Cidr } from './cidr';
import {
  ALL_RESPONSE_HEADERS, defaultWorkers, parseDuration, parseResponseHeaders, parseSize, parseTrustedIps, parseWorkers,
  SettingValueError, type ResponseHeaderFlags,
} from './proxy-settings';

export type { AdminRole, AdminToken } from './admin-tokens';

export type Role = 'all-in-one' | 'control-plane' | 'data-plane';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface Settings {
  role: Role;
  proxyListen: ListenAddress;
  /** the TLS proxy listener (Kong's `proxy_listen ... ssl`): HTTPS and HTTP/2, certificates by SNI; null: `off` */
  proxySslListen: ListenAddress | null;
  adminListen: ListenAddress;
  clusterListen: ListenAddress;
  statusListen: ListenAddress;
  /** control-plane addresses a data plane dials, in order of preference */
  clusterControlPlane: string[];
  /** a data plane asks for deltas (Kong's `cluster_incremental_sync`); false: whole snapshots only */
  clusterIncrementalSync: boolean;
  zone: string;
  prefix: string;
  /** null: the embedded Postgres under the prefix */
  databaseUrl: string | null;
  logLevel: LogLevel;
  /** data-plane node id; null: generated once and kept in the prefix */
  nodeId: string | null;
  /** ms the snapshot builder waits for more writes before building, and the most it defers a build */
  snapshotDebounceMs: number;
  snapshotMaxDelayMs: number;
  /** how many config versions the history keeps for diff and rollback */
  historyRetention: number;
  /** Admin API tokens from ARCHWAY_ADMIN_TOKENS and the tokens file together; empty: the Admin API is open */
  adminTokens: AdminToken[];
  /** ARCHWAY_ADMIN_TOKENS_FILE: one name:role:token a line (already read into adminTokens) */
  adminTokensFile: string | null;
  /** data-plane proxy worker processes (default: the CPUs; 1 = a single process) */
  workers: number;
  /** SIGTERM: how long in-flight requests may run before the data plane exits anyway */
  drainTimeoutMs: number;
  /** request line + headers, bytes (431 beyond) */
  maxHeaderSize: number;
  /** slow-client protection: the request's headers must arrive within this (408 otherwise) */
  clientHeaderTimeoutMs: number;
  /** the whole request (headers and body) must arrive within this; 0 = no limit */
  requestTimeoutMs: number;
  /** idle client keep-alive connections are closed after this */
  keepaliveTimeoutMs: number;
  /** peers whose X-Forwarded-* headers are believed (Kong's trusted_ips) */
  trustedIps: Cidr[];
  /** informational response headers (Kong's `headers`) */
  headers: ResponseHeaderFlags;
}

interface SettingSpec {
  env: string;
  parse: (raw: string) => unknown;
  defaultFor: (role: Role) => unknown;
}

export class SettingsError extends Error {
  readonly code = 'ARCHWAY_INVALID_SETTING';
}

export function parseListen(raw: string, name = 'listen'): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(raw.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new SettingsError(`${name}: expected host:port (for example 127.0.0.1:8001), got '${raw}'`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

const listen = (env: string, def: (role: Role) => string): SettingSpec => ({
  env,
  parse: (raw) => parseListen(raw, env),
  defaultFor: (role) => parseListen(def(role), env),
});

const SPECS: Record<Exclude<keyof Settings, 'role'>, SettingSpec> = {
  proxyListen: listen('ARCHWAY_PROXY_LISTEN', () => '0.0.0.0:8000'),
  proxySslListen: {
    env: 'ARCHWAY_PROXY_SSL_LISTEN',
    parse: (raw) => (raw.trim() === 'off' ? null : parseListen(raw, 'ARCHWAY_PROXY_SSL_LISTEN')),
    defaultFor: () => parseListen('0.0.0.0:8443'),
  },
  adminListen: listen('ARCHWAY_ADMIN_LISTEN', () => '127.0.0.1:8001'),
  clusterListen: listen('ARCHWAY_CLUSTER_LISTEN', (role) => (role === 'all-in-one' ? '127.0.0.1:8005' : '0.0.0.0:8005')),
  statusListen: listen('ARCHWAY_STATUS_LISTEN', () => '127.0.0.1:8100'),
  clusterControlPlane: {
    env: 'ARCHWAY_CLUSTER_CONTROL_PLANE',
    parse: (raw) => {
      const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
      for (const a of list) parseListen(a, 'ARCHWAY_CLUSTER_CONTROL_PLANE');
      return list;
    },
    defaultFor: () => ['127.0.0.1:8005'],
  },
  clusterIncrementalSync: {
    env: 'ARCHWAY_CLUSTER_INCREMENTAL_SYNC',
    parse: (raw) => {
      const v = raw.trim();
      if (v !== 'on' && v !== 'off') throw new SettingsError(`ARCHWAY_CLUSTER_INCREMENTAL_SYNC: expected on or off, got '${raw}'`);
      return v === 'on';
    },
    defaultFor: () => true,
  },
  zone: { env: 'ARCHWAY_ZONE', parse: (raw) => raw, defaultFor: () => 'default' },
  prefix: { env: 'ARCHWAY_PREFIX', parse: (raw) => raw, defaultFor: () => './.archway' },
  databaseUrl: {
    env: 'ARCHWAY_DATABASE_URL',
    parse: (raw) => {
      if (!/^postgres(ql)?:\/\//.test(raw)) throw new SettingsError(`ARCHWAY_DATABASE_URL: expected postgres://user@host:port/db, got '${raw}'`);
      return raw;
    },
    defaultFor: () => null,
  },
  logLevel: {
    env: 'ARCHWAY_LOG_LEVEL',
    parse: (raw) => {
      if (!isLogLevel(raw)) throw new SettingsError(`ARCHWAY_LOG_LEVEL: expected debug, info, notice, warn or error, got '${raw}'`);
      return raw;
    },
    defaultFor: () => 'info',
  },
  nodeId: { env: 'ARCHWAY_NODE_ID', parse: (raw) => raw, defaultFor: () => null },
  snapshotDebounceMs: { env: 'ARCHWAY_SNAPSHOT_DEBOUNCE_MS', parse: (raw) => nonNegative(raw, 'ARCHWAY_SNAPSHOT_DEBOUNCE_MS'), defaultFor: () => 5 },
  snapshotMaxDelayMs: { env: 'ARCHWAY_SNAPSHOT_MAX_DELAY_MS', parse: (raw) => nonNegative(raw, 'ARCHWAY_SNAPSHOT_MAX_DELAY_MS'), defaultFor: () => 100 },
  historyRetention: { env: 'ARCHWAY_HISTORY_RETENTION', parse: (raw) => nonNegative(raw, 'ARCHWAY_HISTORY_RETENTION'), defaultFor: () => 1000 },
  adminTokens: { env: 'ARCHWAY_ADMIN_TOKENS', parse: (raw) => tokenSetting(() => parseAdminTokenList(raw)), defaultFor: () => [] },
  adminTokensFile: { env: 'ARCHWAY_ADMIN_TOKENS_FILE', parse: (raw) => raw, defaultFor: () => null },
  workers: proxySetting('ARCHWAY_WORKERS', parseWorkers, defaultWorkers),
  drainTimeoutMs: proxySetting('ARCHWAY_DRAIN_TIMEOUT', parseDuration, () => 30_000),
  maxHeaderSize: proxySetting('ARCHWAY_MAX_HEADER_SIZE', parseSize, () => 32 * 1024),
  clientHeaderTimeoutMs: proxySetting('ARCHWAY_CLIENT_HEADER_TIMEOUT', parseDuration, () => 60_000),
  requestTimeoutMs: proxySetting('ARCHWAY_REQUEST_TIMEOUT', parseDuration, () => 300_000),
  keepaliveTimeoutMs: proxySetting('ARCHWAY_KEEPALIVE_TIMEOUT', parseDuration, () => 60_000),
  trustedIps: proxySetting('ARCHWAY_TRUSTED_IPS', parseTrustedIps, () => []),
  headers: proxySetting('ARCHWAY_HEADERS', parseResponseHeaders, () => ({ ...ALL_RESPONSE_HEADERS })),
};

function proxySetting(env: string, parse: (raw: string, name: string) => unknown, defaultFor: () => unknown): SettingSpec {
  return {
    env,
    parse: (raw) => {
      try {
        return parse(raw, env);
      } catch (err) {
        throw err instanceof SettingValueError ? new SettingsError(err.message) : err;
      }
    },
    defaultFor,
  };
}

function tokenSetting<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof AdminTokenError) throw new SettingsError(err.message);
    throw err;
  }
}

function nonNegative(raw: string, name: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new SettingsError(`${name}: expected a whole number (0 or more), got '${raw}'`);
  return n;
}

/** `--proxy-listen` <-> `ARCHWAY_PROXY_LISTEN`, for every setting. */
export function flagToEnv(flag: string): string | null {
  const name = flag.replace(/^--/, '').toUpperCase().replace(/-/g, '_');
  const env = `ARCHWAY_${name}`;
  return Object.values(SPECS).some((s) => s.env === env) ? env : null;
}

export function settingEnvNames(): string[] {
  return Object.values(SPECS).map((s) => s.env);
}

/** Settings from the environment (after CLI flags were folded into it), with every default filled in. */
export function loadSettings(role: Role, env: NodeJS.ProcessEnv = process.env): Settings {
  const out: Record<string, unknown> = { role };
  for (const [key, spec] of Object.entries(SPECS)) {
    const raw = env[spec.env];
    out[key] = raw !== undefined && raw !== '' ? spec.parse(raw) : spec.defaultFor(role);
  }
  // both token sources count: the file's tokens join the variable's
  const file = out.adminTokensFile as string | null;
  out.adminTokens = tokenSetting(() => mergeAdminTokens(out.adminTokens as AdminToken[], file ? readAdminTokensFile(file) : []));
  return out as unknown as Settings;
}
