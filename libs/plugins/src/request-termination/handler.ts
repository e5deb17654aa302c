// request-termination (kong/plugins/request-termination/handler.lua, Kong 3.9): answers every request
// (or only those carrying the `trigger` header or query parameter) with a fixed response.
import { hostname } from 'node:os';
import type { PluginContext, PluginHandler } from '@archway/pipeline';
import { requestTerminationSchema } from './schema';

/** Kong's DEFAULT_RESPONSE: the message when none is configured */
const DEFAULT_RESPONSE: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  404: 'Not found',
  405: 'Method not allowed',
  500: 'An unexpected error occurred',
  502: 'Bad Gateway',
  503: 'Service unavailable',
};

interface RequestTerminationState {
  status: number;
  message: string | null;
  body: string | null;
  contentType: string | null;
  echo: boolean;
  /** as configured (query parameters are case-sensitive) */
  trigger: string | null;
  triggerHeader: string | null;
}

function triggered(ctx: PluginContext, trigger: string, header: string): boolean {
  return ctx.headers[header] !== undefined || (ctx.query !== '' && new URLSearchParams(ctx.query).has(trigger));
}

function parsedBody(ctx: PluginContext): unknown {
  const text = ctx.body?.toString('utf8') ?? '';
  const type = ctx.header('content-type') ?? '';
  try {
    if (type.includes('json')) return JSON.parse(text);
    if (type.includes('x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  } catch {
    // Kong's get_body returns nothing for an unreadable body
  }
  return null;
}

/** The request as the gateway saw it (echo), for debugging a route. */
function echo(ctx: PluginContext, s: RequestTerminationState): unknown {
  const host = ctx.header('host') ?? '';
  const port = /:(\d+)$/.exec(host)?.[1];
  return {
    message: s.message ?? DEFAULT_RESPONSE[s.status],
    kong: { node_id: null, worker_pid: process.pid, hostname: hostname() },
    request: {
      scheme: ctx.header('x-forwarded-proto') ?? 'http',
      host: host.replace(/:\d+$/, ''),
      port: port ? Number(port) : null,
      headers: ctx.headers,
      query: Object.fromEntries(new URLSearchParams(ctx.query)),
      body: parsedBody(ctx),
      raw_body: ctx.body?.toString('utf8') ?? '',
      method: ctx.method,
      path: ctx.path,
    },
    matched_route: ctx.route,
    matched_service: ctx.service,
  };
}

export const requestTerminationHandler: PluginHandler<RequestTerminationState> = {
  name: requestTerminationSchema.name,
  priority: requestTerminationSchema.priority,
  version: requestTerminationSchema.version,
  configure(config) {
    return {
      status: config.status_code as number,
      message: (config.message as string | null) ?? null,
      body: (config.body as string | null) ?? null,
      contentType: (config.content_type as string | null) ?? null,
      echo: config.echo as boolean,
      trigger: (config.trigger as string | null) ?? null,
      triggerHeader: (config.trigger as string | null)?.toLowerCase() ?? null,
    };
  },
  readsRequestBody: (s) => s.echo,
  access(ctx, s) {
    if (s.trigger && s.triggerHeader && !triggered(ctx, s.trigger, s.triggerHeader)) return;
    if (s.echo) return ctx.exit(s.status, echo(ctx, s));
    if (s.body !== null) return ctx.exit(s.status, s.body, s.contentType ? { 'Content-Type': s.contentType } : undefined);
    const message = s.message ?? DEFAULT_RESPONSE[s.status];
    ctx.exit(s.status, message === undefined ? null : { message });
  },
};
