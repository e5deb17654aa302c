// cors (kong/plugins/cors/handler.lua, Kong 3.9): answers preflights (OPTIONS with Origin and
// Access-Control-Request-Method) with 200 in access, and adds Access-Control-* headers to other
// responses in header_filter. Origins are compiled once: exact origins into a set, regexes anchored.
import type { PluginContext, PluginHandler } from '@archway/pipeline';
import { CORS_METHODS, corsSchema } from './schema';

/** per-request marker (Kong's kong.ctx.plugin.skip_response_headers): the preflight was handled */
const SKIP = 'cors:skip-response-headers';
/** Kong treats an origin with any other character as a regex */
const PLAIN_ORIGIN_RE = /^[A-Za-z0-9.:/-]+$/;

type OriginRule =
  /** no origins, or only `*`: Access-Control-Allow-Origin: * */
  | { kind: 'any' }
  /** one plain origin: always sent as is */
  | { kind: 'fixed'; origin: string }
  /** echo the request's Origin when it matches */
  | { kind: 'match'; exact: ReadonlySet<string>; regexes: readonly RegExp[] };

interface CorsState {
  origin: OriginRule;
  allowHeaders: string | null;
  exposeHeaders: string | null;
  methods: string;
  maxAge: string | null;
  credentials: boolean;
  privateNetwork: boolean;
  preflightContinue: boolean;
  allowOriginAbsent: boolean;
}

/** `scheme://host[:port]` without a default port, as Kong's normalize_origin */
export function normalizeOrigin(origin: string): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/:?#]+)(?::(\d+))?/.exec(origin);
  if (!m) return origin;
  const scheme = m[1].toLowerCase();
  const port = m[3] && !((scheme === 'http' && m[3] === '80') || (scheme === 'https' && m[3] === '443')) ? `:${m[3]}` : '';
  return `${scheme}://${m[2].toLowerCase()}${port}`;
}

export function compileOrigins(origins: readonly string[] | null): OriginRule {
  if (!origins?.length || (origins.length === 1 && origins[0] === '*')) return { kind: 'any' };
  if (origins.length === 1 && PLAIN_ORIGIN_RE.test(origins[0])) return { kind: 'fixed', origin: origins[0] };
  const exact = new Set<string>();
  const regexes: RegExp[] = [];
  for (const entry of origins) {
    if (PLAIN_ORIGIN_RE.test(entry)) exact.add(normalizeOrigin(entry));
    // Kong anchors regexes at both ends, accepting a user's own ^ and $
    else regexes.push(new RegExp(`^(?:${entry.replace(/^\^/, '').replace(/\$$/, '')})$`));
  }
  return { kind: 'match', exact, regexes };
}

/** Sets Access-Control-Allow-Origin (and Vary); returns true when it allows every origin. */
function configureOrigin(ctx: PluginContext, s: CorsState, set: (k: string, v: string) => void, vary: () => void): boolean {
  const rule = s.origin;
  if (rule.kind === 'any') {
    set('Access-Control-Allow-Origin', '*');
    return true;
  }
  vary();
  if (rule.kind === 'fixed') {
    set('Access-Control-Allow-Origin', rule.origin);
    return false;
  }
  const origin = ctx.header('origin');
  if (origin) {
    const normalized = normalizeOrigin(origin);
    if (rule.exact.has(normalized) || rule.regexes.some((re) => re.test(normalized))) {
      set('Access-Control-Allow-Origin', origin);
      return false;
    }
  }
  set('Access-Control-Allow-Origin', '');
  return false;
}

/** Access-Control-Allow-Credentials; with `*` the origin is echoed instead, since browsers refuse both. */
function configureCredentials(ctx: PluginContext, s: CorsState, allowAll: boolean, set: (k: string, v: string) => void, vary: () => void): void {
  if (!s.credentials) return;
  if (!allowAll) return set('Access-Control-Allow-Credentials', 'true');
  const origin = ctx.header('origin');
  if (!origin) return;
  set('Access-Control-Allow-Origin', origin);
  set('Access-Control-Allow-Credentials', 'true');
  vary();
}

function preflight(ctx: PluginContext, s: CorsState): void {
  const headers: Record<string, string> = {};
  // an empty value clears the header (kong.response.clear_header)
  const set = (k: string, v: string) => (v === '' ? delete headers[k] : (headers[k] = v));
  const vary = () => (headers.Vary = 'Origin');
  const allowAll = configureOrigin(ctx, s, set, vary);
  configureCredentials(ctx, s, allowAll, set, vary);
  const requested = ctx.header('access-control-request-headers');
  if (s.allowHeaders) headers['Access-Control-Allow-Headers'] = s.allowHeaders;
  else if (requested) headers['Access-Control-Allow-Headers'] = requested;
  headers['Access-Control-Allow-Methods'] = s.methods;
  if (s.maxAge) headers['Access-Control-Max-Age'] = s.maxAge;
  if (s.privateNetwork && ctx.header('access-control-request-private-network') === 'true') headers['Access-Control-Allow-Private-Network'] = 'true';
  ctx.exit(200, null, headers);
}

function addVary(ctx: PluginContext): void {
  const current = ctx.responseHeaders.vary;
  const list = current === undefined ? [] : (Array.isArray(current) ? current : [String(current)]).flatMap((v) => v.split(',')).map((v) => v.trim());
  if (!list.some((v) => v.toLowerCase() === 'origin' || v === '*')) ctx.responseHeaders.vary = [...list, 'Origin'].join(', ');
}

export const corsHandler: PluginHandler<CorsState> = {
  name: corsSchema.name,
  priority: corsSchema.priority,
  version: corsSchema.version,
  configure(config) {
    const list = (k: string) => ((config[k] as string[] | null) ?? []).join(',') || null;
    return {
      origin: compileOrigins(config.origins as string[] | null),
      allowHeaders: list('headers'),
      exposeHeaders: list('exposed_headers'),
      methods: list('methods') ?? CORS_METHODS.join(','),
      maxAge: config.max_age === null || config.max_age === undefined ? null : String(config.max_age),
      credentials: config.credentials as boolean,
      privateNetwork: config.private_network as boolean,
      preflightContinue: config.preflight_continue as boolean,
      allowOriginAbsent: config.allow_origin_absent as boolean,
    };
  },
  access(ctx, s) {
    if (ctx.method !== 'OPTIONS' || !ctx.header('origin') || !ctx.header('access-control-request-method')) return;
    // the preflight is answered here, or by the upstream (preflight_continue): no headers added later
    ctx.shared.set(SKIP, true);
    if (!s.preflightContinue) preflight(ctx, s);
  },
  headerFilter(ctx, s) {
    if (ctx.shared.get(SKIP)) return;
    if (!s.allowOriginAbsent && !ctx.header('origin')) return;
    const set = (k: string, v: string) => {
      if (v === '') delete ctx.responseHeaders[k.toLowerCase()];
      else ctx.responseHeaders[k.toLowerCase()] = v;
    };
    const vary = () => addVary(ctx);
    const allowAll = configureOrigin(ctx, s, set, vary);
    configureCredentials(ctx, s, allowAll, set, vary);
    if (s.exposeHeaders) ctx.responseHeaders['access-control-expose-headers'] = s.exposeHeaders;
  },
};
