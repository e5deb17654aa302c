// A plugin's upstream override (PluginContext.routeTo: canary, routing plugins) resolved into the
// Upstream the ProxyExchange sends to. Another service is its precompiled Upstream; a host/port/scheme
// gets a pool from the runtime's UpstreamPools, keeping the route's service's timeouts, retries and
// TLS settings. Resolved targets are cached per runtime config, so a request pays one map lookup.
import type { UpstreamOverride } from '@archway/pipeline';
import type { Service } from '@archway/schema';
import type { RuntimeConfig, Upstream } from './runtime-config';

/** Targets come from plugin configs, so there are few; the bound only guards against a plugin inventing many. */
const MAX_CACHED_TARGETS = 256;

const caches = new WeakMap<RuntimeConfig, Map<string, Upstream>>();

function cacheOf(rt: RuntimeConfig): Map<string, Upstream> {
  let cache = caches.get(rt);
  if (!cache) caches.set(rt, (cache = new Map()));
  return cache;
}

function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The Upstream for `origin`, reached with `primary`'s timeouts and retries and `service`'s TLS settings. */
function hostTarget(rt: RuntimeConfig, primary: Upstream, service: Service, scheme: string, host: string, port: number): Upstream {
  const origin = `${scheme}://${bracketed(host)}:${port}`;
  const cache = cacheOf(rt);
  const key = `${primary.serviceId} ${origin}`;
  let target = cache.get(key);
  if (target) return target;
  // Pools opened here are not among the runtime's poolKeys: the next snapshot's swap closes them
  // (in-flight requests finish) and the next runtime's cache opens fresh ones.
  const pool = rt.pools.acquire({ origin, connectTimeout: service.connect_timeout, tlsVerify: service.tls_verify === true, tls: primary.tls });
  const defaultPort = scheme === 'https' ? 443 : 80;
  target = { ...primary, balancer: null, origin, pool, hostHeader: port === defaultPort ? bracketed(host) : `${bracketed(host)}:${port}` };
  if (cache.size >= MAX_CACHED_TARGETS) cache.clear();
  cache.set(key, target);
  return target;
}

/**
 * Where the request goes instead of `primary` (the route's service). Null when the override names a
 * service this runtime cannot proxy to (unknown, disabled, unsupported protocol): the caller answers 503.
 */
export function resolveUpstreamOverride(rt: RuntimeConfig | null, primary: Upstream, service: Service, override: UpstreamOverride): Upstream | null {
  if (!rt) return null;
  if (override.serviceId !== undefined) return rt.upstreams.get(override.serviceId) ?? null;
  if (override.host === undefined && override.port === undefined && override.scheme === undefined) return primary;
  return hostTarget(rt, primary, service, override.scheme ?? service.protocol, override.host ?? service.host, override.port ?? service.port);
}
