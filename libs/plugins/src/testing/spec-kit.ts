// For the handler specs only: runs one plugin through the real SDK (compileChains, the phase runner)
// as the proxy would, with a fake upstream response for the response-side phases.
import { compileChains, PluginContext, runBodyFilter, runHeaderFilter, runRequestPhases, type Chain, type PluginHandler } from '@archway/pipeline';
import { routeSchema, serviceSchema, validateEntity, validatePlugin, type ConfigSet, type Plugin, type Route, type Service } from '@archway/schema';
import { pluginSchema } from '../index';

export const service = validateEntity<Service>(serviceSchema, { host: 's.test' }, 'create');
export const route = validateEntity<Route>(routeSchema, { paths: ['/'], service: { id: service.id } }, 'create');

export const consumer = (id: string, username: string | null, customId: string | null = null) => ({
  id,
  created_at: 1,
  updated_at: 1,
  username,
  custom_id: customId,
  tags: null,
});

export interface FakeRequest {
  method?: string;
  path?: string;
  query?: string;
  headers?: Record<string, string | string[]>;
  body?: string;
  clientIp?: string;
}

export interface FakeResponse {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string;
}

export interface PluginRun {
  ctx: PluginContext;
  chain: Chain;
  /** the response body after bodyFilter (only when a response was given) */
  body: string | null;
}

export function pluginInstance(name: string, config: Record<string, unknown>, scope: Partial<Pick<Plugin, 'route' | 'consumer'>> = { route: { id: route.id } }): Plugin {
  return validatePlugin({ name, ...scope, config }, 'create', pluginSchema);
}

export function chainFor(plugins: Plugin[], handlers: ReadonlyMap<string, PluginHandler>, extra: Record<string, unknown> = {}): Chain {
  const set = { services: [service], routes: [route], plugins, ...extra } as unknown as ConfigSet;
  return compileChains({ config: set, handlers }).forRoute(route);
}

export function contextFor(req: FakeRequest = {}): PluginContext {
  const ctx = new PluginContext({
    requestId: 'req-1',
    method: req.method ?? 'GET',
    clientIp: req.clientIp ?? '127.0.0.1',
    route,
    service,
    path: req.path ?? '/',
    query: req.query ?? '',
    headers: { ...(req.headers ?? {}) },
    startedAt: 0,
  });
  if (req.body !== undefined) ctx.body = Buffer.from(req.body);
  return ctx;
}

/** Runs rewrite/access, then (when `res` is given or a plugin exited) header and body filters. */
export async function runChain(chain: Chain, req: FakeRequest = {}, res?: FakeResponse): Promise<PluginRun> {
  const ctx = contextFor(req);
  const after = await runRequestPhases(chain, ctx);
  if (!res && !ctx.exitResponse) return { ctx, chain: after, body: null };
  const exit = ctx.exitResponse;
  ctx.status = exit ? exit.status : (res?.status ?? 200);
  const headers = exit ? (exit.headers ?? {}) : (res?.headers ?? {});
  for (const [k, v] of Object.entries(headers)) ctx.responseHeaders[k.toLowerCase()] = v;
  await runHeaderFilter(after, ctx);
  const raw = exit ? (exit.body === null ? '' : JSON.stringify(exit.body)) : (res?.body ?? '');
  const body = await runBodyFilter(after, ctx, Buffer.from(raw));
  return { ctx, chain: after, body: body.toString('utf8') };
}

/** One plugin instance on the test route, run for one request. */
export async function runPlugin<S>(
  handler: PluginHandler<S>,
  config: Record<string, unknown>,
  req: FakeRequest = {},
  opts: { extra?: Record<string, unknown>; res?: FakeResponse } = {},
): Promise<PluginRun> {
  const h = handler as unknown as PluginHandler;
  const chain = chainFor([pluginInstance(h.name, config)], new Map([[h.name, h]]), opts.extra);
  return runChain(chain, req, opts.res);
}
