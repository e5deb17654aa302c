// canary (Archway; Kong Enterprise's canary where they overlap): in access, decides whether this
// request goes to the canary target (another host/port/uri, or another service) and tells the proxy
// with ctx.routeTo. The share is fixed (`percentage`) or a timed ramp (`start`, `duration`, `steps`);
// requests are assigned at random or sticky by consumer, client IP or a header value, hashed into
// buckets so the same identifier always gets the same answer while the share holds (and keeps the
// canary as a ramp grows). Everything but the hash and the clock is computed in configure.
import type { PluginContext, PluginHandler, UpstreamOverride } from '@archway/pipeline';
import type { ConfigSet, Service } from '@archway/schema';
import { BUCKETS, bucketOf, rampShare } from './bucket';
import { canarySchema } from './schema';

type HashOn = 'none' | 'consumer' | 'ip' | 'header';

export interface CanaryState {
  /** fixed share (0–100), or null for a ramp */
  percentage: number | null;
  start: number;
  duration: number;
  steps: number;
  hash: HashOn;
  /** lower-case; set when hash = header */
  hashHeader: string | null;
  /** lower-case `canary_by_header_name` */
  forceHeader: string | null;
  /** the override sent as is (host/port/uri, or a service whose path needs no rebasing) */
  target: UpstreamOverride;
  /** target_service without upstream_uri: the request path is rebased onto the service's path ('/' when none) */
  rebaseTo: { serviceId: string; path: string } | null;
  /** the clock (ms since the epoch), replaceable in specs */
  now: () => number;
  /** random in [0, 1) for hash = none, replaceable in specs */
  random: () => number;
}

function trimSlash(path: string | null): string {
  const p = path ?? '/';
  return p.endsWith('/') ? p.slice(0, -1) : p;
}

/**
 * The upstream path moved from the route's service path onto the target service's:
 * /v1/users (service path /v1) -> /v2/users (target path /v2). A path another plugin rewrote away
 * from the service path is left as is.
 */
export function rebasePath(path: string, from: string | null, to: string | null): string {
  const f = trimSlash(from);
  if (f !== '' && path !== f && !(path.startsWith(f) && path.charCodeAt(f.length) === 47)) return path;
  const rest = path.slice(f.length);
  if (rest === '' || (f === '' && rest === '/')) return to ?? '/';
  return trimSlash(to) + rest;
}

function targetOf(config: Record<string, unknown>, services: readonly Service[]): Pick<CanaryState, 'target' | 'rebaseTo'> {
  const uri = (config.upstream_uri as string | null) ?? undefined;
  const service = config.target_service as { id: string } | null;
  if (service) {
    const path = services.find((s) => s.id === service.id)?.path ?? '/';
    // an unknown service id stays in the override: the proxy answers 503, as for a missing service
    return { target: Object.freeze({ serviceId: service.id, path: uri }), rebaseTo: uri === undefined ? { serviceId: service.id, path } : null };
  }
  const target: { host?: string; port?: number; path?: string } = {};
  if (config.upstream_host != null) target.host = config.upstream_host as string;
  if (config.upstream_port != null) target.port = config.upstream_port as number;
  if (uri !== undefined) target.path = uri;
  return { target: Object.freeze(target), rebaseTo: null };
}

function shareOf(s: CanaryState): number {
  return s.percentage ?? rampShare(s.now(), s.start, s.duration, s.steps);
}

/** The sticky identifier for this request; the consumer falls back to the client IP, as does a missing header. */
function identifierOf(ctx: PluginContext, s: CanaryState): string {
  if (s.hash === 'consumer' && ctx.consumer) return ctx.consumer.id;
  if (s.hash === 'header') {
    const v = ctx.header(s.hashHeader as string);
    if (v !== undefined && v !== '') return v;
  }
  return ctx.clientIp;
}

/** Whether this request goes to the canary. */
export function toCanary(ctx: PluginContext, s: CanaryState): boolean {
  if (s.forceHeader !== null) {
    const forced = ctx.header(s.forceHeader);
    if (forced === 'always') return true;
    if (forced === 'never') return false;
  }
  const share = shareOf(s);
  if (share <= 0) return false;
  if (share >= 100) return true;
  if (s.hash === 'none') return s.random() * 100 < share;
  return bucketOf(identifierOf(ctx, s)) < (share * BUCKETS) / 100;
}

export const canaryHandler: PluginHandler<CanaryState> = {
  name: canarySchema.name,
  priority: canarySchema.priority,
  version: canarySchema.version,
  configure(config, env) {
    const services = (env.config as ConfigSet).services ?? [];
    return {
      percentage: (config.percentage as number | null) ?? null,
      start: (config.start as number | null) ?? 0,
      duration: config.duration as number,
      steps: config.steps as number,
      hash: config.hash as HashOn,
      hashHeader: (config.hash_header as string | null)?.toLowerCase() ?? null,
      forceHeader: (config.canary_by_header_name as string | null)?.toLowerCase() ?? null,
      ...targetOf(config, services),
      now: Date.now,
      random: Math.random,
    };
  },
  access(ctx, s) {
    if (!toCanary(ctx, s)) return;
    const rebase = s.rebaseTo;
    if (rebase !== null && (ctx.service?.path ?? '/') !== rebase.path)
      ctx.routeTo({ serviceId: rebase.serviceId, path: rebasePath(ctx.path, ctx.service?.path ?? null, rebase.path) });
    else ctx.routeTo(s.target);
  },
};
