// The external plugin's contract (proto/archway/plugin/v1/external.proto; JSON over HTTP): what the
// gateway sends about a request, and how an answer is checked and applied. An answer is checked
// whole before anything is applied, so a bad answer never leaves the request half changed.
import type { PluginContext } from '@archway/pipeline';

export interface AccessRequest {
  request: { method: string; path: string; query: string; headers: Record<string, string>; body: Buffer | null };
  consumer: { id: string; username: string | null; custom_id: string | null } | null;
  route: { id: string; name: string | null } | null;
  service: { id: string; name: string | null } | null;
  client_ip: string;
  request_id: string;
}

export type Answer =
  | { action: 'continue'; setHeaders: [string, string][]; removeHeaders: string[] }
  | { action: 'exit'; status: number; headers: Record<string, string> | undefined; body: unknown };

/** Stable codes for every way a call can fail; logged, and the same for both transports. */
export type ExternalErrorCode =
  | 'ARCHWAY_EXTERNAL_TIMEOUT'
  | 'ARCHWAY_EXTERNAL_UNREACHABLE'
  | 'ARCHWAY_EXTERNAL_BAD_STATUS'
  | 'ARCHWAY_EXTERNAL_BAD_ANSWER'
  | 'ARCHWAY_EXTERNAL_CLOSED';

export class ExternalPluginError extends Error {
  constructor(
    readonly code: ExternalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The request as the service sees it: only the configured headers, the body only when asked. */
export function accessRequest(ctx: PluginContext, headerNames: readonly string[], includeBody: boolean): AccessRequest {
  const headers: Record<string, string> = {};
  for (const name of headerNames) {
    const v = ctx.headers[name];
    if (v !== undefined) headers[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  const c = ctx.consumer;
  return {
    request: { method: ctx.method, path: ctx.path, query: ctx.query, headers, body: includeBody ? (ctx.body ?? Buffer.alloc(0)) : null },
    consumer: c ? { id: c.id, username: c.username, custom_id: c.custom_id } : null,
    route: ctx.route ? { id: ctx.route.id, name: ctx.route.name ?? null } : null,
    service: ctx.service ? { id: ctx.service.id, name: ctx.service.name ?? null } : null,
    client_ip: ctx.clientIp,
    request_id: ctx.requestId,
  };
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// a header value node would refuse to send (CR, LF, NUL and other controls but tab)
// eslint-disable-next-line no-control-regex
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

function bad(message: string): ExternalPluginError {
  return new ExternalPluginError('ARCHWAY_EXTERNAL_BAD_ANSWER', `the plugin service's answer ${message}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A header map from the answer, names checked as tokens and values as sendable text. */
function headerMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw bad(`has ${field} that is not an object of header names to values`);
  for (const [name, value] of Object.entries(v)) {
    if (!TOKEN.test(name)) throw bad(`has an invalid header name in ${field}: '${name}'`);
    if (typeof value !== 'string' || BAD_VALUE.test(value)) throw bad(`has an invalid value for header '${name}' in ${field}`);
  }
  return v as Record<string, string>;
}

/** Checks an answer (parsed JSON, or the gRPC message) without applying it. */
export function parseAnswer(raw: unknown): Answer {
  if (!isRecord(raw)) throw bad('is not an object');
  if (raw.action === 'continue') {
    const set = headerMap(raw.set_headers, 'set_headers');
    const remove = raw.remove_headers ?? [];
    if (!Array.isArray(remove) || !remove.every((n) => typeof n === 'string' && TOKEN.test(n)))
      throw bad('has remove_headers that is not a list of header names');
    return { action: 'continue', setHeaders: set ? Object.entries(set) : [], removeHeaders: remove as string[] };
  }
  if (raw.action === 'exit') {
    const status = raw.status;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)
      throw bad(`has exit status ${JSON.stringify(status)}; expected an integer from 100 to 599`);
    // gRPC's empty string and JSON's null both mean no body; a JSON object or array is sent as JSON
    const body = raw.body === '' || raw.body === undefined ? null : raw.body;
    return { action: 'exit', status, headers: headerMap(raw.headers, 'headers'), body };
  }
  throw bad(`has action ${JSON.stringify(raw.action)}; expected "continue" or "exit"`);
}

export function applyAnswer(ctx: PluginContext, answer: Answer): void {
  if (answer.action === 'exit') return ctx.exit(answer.status, answer.body, answer.headers);
  for (const name of answer.removeHeaders) ctx.removeHeader(name);
  for (const [name, value] of answer.setHeaders) ctx.setHeader(name, value);
}
