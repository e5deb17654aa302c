// Admin API tokens: with ARCHWAY_ADMIN_TOKENS (or its file) set, every request presents a token, by
// `Authorization: Bearer <token>` or Kong's `Kong-Admin-Token: <token>`. A `read` token may only read;
// the token's name becomes the actor the config history records. Tokens are compared in constant time
// and never logged (only a token's name is).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AdminRole, AdminToken } from '@archway/config';
import type { Logger } from '@archway/telemetry';
import type { ExpressResponse } from './express-types';
import { adminContext } from './request-context';

export const UNAUTHORIZED_MESSAGE = 'Unauthorized';
export const READ_ONLY_MESSAGE = 'Forbidden: this token may only read (GET, HEAD, OPTIONS); writing needs a write token';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface TableEntry {
  name: string;
  role: AdminRole;
  digest: Buffer;
}

/** The configured tokens, kept as sha256 digests so every comparison is of equal-length buffers. */
export interface TokenTable {
  readonly entries: readonly TableEntry[];
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

export function tokenTable(tokens: readonly AdminToken[]): TokenTable {
  return { entries: tokens.map((t) => ({ name: t.name, role: t.role, digest: digest(t.token) })) };
}

/** The token a request presents: `Kong-Admin-Token`, else the credentials of `Authorization: Bearer`. */
export function presentedToken(headers: IncomingHttpHeaders): string | null {
  const kong = headers['kong-admin-token'];
  if (typeof kong === 'string' && kong.trim() !== '') return kong.trim();
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.authorization ?? '');
  return m ? m[1] : null;
}

/**
 * The entry whose token matches. Every entry is compared (no early exit), so the time taken does
 * not tell which entry, or how much of a token, matched.
 */
function lookup(table: TokenTable, token: string): TableEntry | null {
  const d = digest(token);
  let found: TableEntry | null = null;
  for (const e of table.entries) if (timingSafeEqual(d, e.digest) && !found) found = e;
  return found;
}

export type AuthOutcome =
  | { ok: true; actor: string | null }
  | { ok: false; status: 401; message: string; invalidToken: boolean }
  | { ok: false; status: 403; message: string; actor: string };

/** Who may do this: the open API (no tokens configured) lets everyone in, with no actor. */
export function authenticate(table: TokenTable, method: string, headers: IncomingHttpHeaders): AuthOutcome {
  if (table.entries.length === 0) return { ok: true, actor: null };
  const token = presentedToken(headers);
  const entry = token === null ? null : lookup(table, token);
  if (!entry) return { ok: false, status: 401, message: UNAUTHORIZED_MESSAGE, invalidToken: token !== null };
  if (entry.role === 'read' && !READ_METHODS.has(method.toUpperCase()))
    return { ok: false, status: 403, message: READ_ONLY_MESSAGE, actor: entry.name };
  return { ok: true, actor: entry.name };
}

/** Whether an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\./.test(h);
}

type AdminRequest = IncomingMessage & { adminActor?: string | null; originalUrl?: string };
type Next = (err?: unknown) => void;

/**
 * Refuses what the tokens do not allow, before the body is read; on success notes the actor on the
 * request for adminContextMiddleware. Logs a refusal by method, path and token name, never headers.
 */
export function adminAuthMiddleware(tokens: readonly AdminToken[], logger: Logger) {
  const table = tokenTable(tokens);
  return (req: AdminRequest, res: ExpressResponse, next: Next): void => {
    const outcome = authenticate(table, req.method ?? 'GET', req.headers);
    if (outcome.ok) {
      req.adminActor = outcome.actor;
      return next();
    }
    const path = (req.originalUrl ?? req.url ?? '').split('?')[0];
    if (outcome.status === 401) {
      res.setHeader('WWW-Authenticate', outcome.invalidToken ? 'Bearer error="invalid_token"' : 'Bearer');
      logger.notice('admin API request refused', { method: req.method, path, status: 401, reason: outcome.invalidToken ? 'unknown token' : 'no token' });
    } else {
      logger.notice('admin API request refused', { method: req.method, path, status: 403, actor: outcome.actor, reason: 'read-only token' });
    }
    res.status(outcome.status).json({ message: outcome.message });
  };
}

/**
 * Runs the rest of the request inside its AdminRequestContext (actor, If-Match). It goes after the
 * body middleware: the body arrives on stream events, which do not carry the async context along.
 */
export function adminContextMiddleware(req: AdminRequest, _res: unknown, next: Next): void {
  const ifMatch = req.headers['if-match'];
  adminContext.run({ actor: req.adminActor ?? null, ifMatch: ifMatch === undefined ? null : ifMatch }, next);
}
