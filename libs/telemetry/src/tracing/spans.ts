// Span helpers for Archway's own work: one SERVER span per HTTP request (named for the route
// template once the router matched it, as OpenTelemetry's HTTP conventions name server spans), and
// a span around an async task. Both are no-ops until startTracing registered a provider.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { archwayTracer } from './tracing';

/** what Express leaves on a request it routed: the matched route's template, and the mount path */
interface RoutedRequest extends IncomingMessage {
  route?: { path?: unknown };
  baseUrl?: string;
  originalUrl?: string;
}

function routeOf(req: RoutedRequest): string | null {
  const path = req.route?.path;
  return typeof path === 'string' ? `${req.baseUrl ?? ''}${path}` : null;
}

function endRequestSpan(span: Span, req: RoutedRequest, res: ServerResponse): void {
  const route = routeOf(req);
  const method = req.method ?? 'GET';
  if (route !== null) {
    span.updateName(`${method} ${route}`);
    span.setAttribute('http.route', route);
  }
  span.setAttribute('http.response.status_code', res.statusCode);
  if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/**
 * Express-style middleware: each request runs inside a SERVER span continuing the caller's W3C trace
 * context, ended when the response is finished (or the connection closed).
 */
export function requestSpanMiddleware(): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  return (req, res, next) => {
    const method = req.method ?? 'GET';
    const parent = propagation.extract(ROOT_CONTEXT, req.headers as IncomingHttpHeaders);
    const path = (req as RoutedRequest).originalUrl ?? req.url ?? '/';
    const q = path.indexOf('?');
    const span = archwayTracer().startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'url.path': q === -1 ? path : path.slice(0, q),
          'url.scheme': 'http',
          'client.address': req.socket.remoteAddress ?? '',
          ...(req.headers['user-agent'] ? { 'user_agent.original': req.headers['user-agent'] } : {}),
        },
      },
      parent,
    );
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      endRequestSpan(span, req as RoutedRequest, res);
    };
    res.once('finish', end);
    res.once('close', end);
    context.with(trace.setSpan(parent, span), next);
  };
}

/** Marks `span` failed with `err`. */
export function spanFailed(span: Span, err: unknown): void {
  span.recordException(err as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
}

/** Runs synchronous `fn` inside a new span (a child of the active one), recording a failure as an error. */
export function withSpanSync<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T {
  return archwayTracer().startActiveSpan(name, { attributes }, (span) => {
    try {
      return fn(span);
    } catch (err) {
      spanFailed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * Runs `fn` inside a new span, recording a failure as an error: a child of the active span, or with
 * `root` the first span of a new trace (work that outlives whichever request happened to start it).
 */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, opts: { root?: boolean } = {}): Promise<T> {
  return archwayTracer().startActiveSpan(name, { attributes, root: opts.root ?? false }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      spanFailed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}
