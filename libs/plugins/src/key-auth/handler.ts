// key-auth (kong/plugins/key-auth/handler.lua): a key from a header, the query string or the body
// identifies a consumer. Keys are looked up in a map (O(1) per request) built from a whole snapshot and
// updated by deltas (LayeredMap).
import type { LayeredMap, PluginContext, PluginHandler } from '@archway/pipeline';
import type { KeyAuthCredential } from '@archway/schema';
import { anonymousConsumer, CONSUMER_INDEX, consumerIndex, setConsumer, type ConsumerIndex } from '../shared/consumers';
import { lookupByField } from '../shared/lookup-by-field';
import { keyAuthSchema } from './schema';

const ERR_NO_KEY = 'No API key found in request';
const ERR_INVALID = 'Invalid authentication credentials';
const ERR_DUPLICATE = 'Duplicate API key found';

interface KeyEntry {
  credential: KeyAuthCredential;
  /** epoch seconds after which the key no longer works (ttl), or Infinity */
  expiresAt: number;
}

interface KeyAuthState {
  keyNames: string[];
  hideCredentials: boolean;
  anonymous: unknown;
  inHeader: boolean;
  inQuery: boolean;
  inBody: boolean;
  runOnPreflight: boolean;
  wwwAuthenticate: string;
  keys: LayeredMap<string, KeyEntry>;
  consumers: ConsumerIndex;
}

export const KEY_INDEX = lookupByField<KeyAuthCredential, KeyEntry>({
  key: 'key-auth:keys',
  collection: 'keyauth_credentials',
  field: (c) => c.key,
  value: (c) => ({ credential: c, expiresAt: c.ttl ? c.created_at + c.ttl : Infinity }),
  idOf: (entry) => entry.credential.id,
});

/** The key as sent, or an array when it was sent more than once. */
function findKey(ctx: PluginContext, s: KeyAuthState): { name: string; value: unknown; where: 'header' | 'query' | 'body' } | null {
  let query: URLSearchParams | null = null;
  let body: Record<string, unknown> | null = null;
  for (const name of s.keyNames) {
    if (s.inHeader) {
      const v = ctx.headers[name];
      if (v !== undefined) return { name, value: v, where: 'header' };
    }
    if (s.inQuery && ctx.query) {
      query ??= new URLSearchParams(ctx.query);
      const all = query.getAll(name);
      if (all.length) return { name, value: all.length === 1 ? all[0] : all, where: 'query' };
    }
    if (s.inBody && ctx.body) {
      body ??= parseBody(ctx);
      if (body[name] !== undefined) return { name, value: body[name], where: 'body' };
    }
  }
  return null;
}

function parseBody(ctx: PluginContext): Record<string, unknown> {
  const type = ctx.header('content-type') ?? '';
  const text = ctx.body?.toString('utf8') ?? '';
  try {
    if (type.includes('json')) {
      const parsed: unknown = JSON.parse(text);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    }
    if (type.includes('x-www-form-urlencoded')) {
      // a prototype-less object: form keys such as `__proto__` or `constructor` are plain data here
      const out: Record<string, unknown> = Object.create(null);
      for (const [k, v] of new URLSearchParams(text)) out[k] = Object.hasOwn(out, k) ? [out[k], v].flat() : v;
      return out;
    }
  } catch {
    // an unreadable body holds no key (Kong logs and carries on)
  }
  return {};
}

function hide(ctx: PluginContext, found: { name: string; where: string }): void {
  if (found.where === 'header') ctx.removeHeader(found.name);
  else if (found.where === 'query') {
    const q = new URLSearchParams(ctx.query);
    q.delete(found.name);
    ctx.query = q.toString();
  } else if (found.where === 'body') {
    const body = parseBody(ctx);
    delete body[found.name];
    ctx.body = Buffer.from(ctx.header('content-type')?.includes('json') ? JSON.stringify(body) : new URLSearchParams(body as Record<string, string>).toString());
  }
}

/** Authenticates, or returns the error to answer with. */
function authenticate(ctx: PluginContext, s: KeyAuthState): { status: number; message: string; headers?: Record<string, string> } | null {
  const found = findKey(ctx, s);
  if (found && Array.isArray(found.value)) return { status: 401, message: ERR_DUPLICATE };
  const key = found && typeof found.value === 'string' ? found.value : '';
  if (!found || key === '') return { status: 401, message: ERR_NO_KEY, headers: { 'WWW-Authenticate': s.wwwAuthenticate } };
  if (s.hideCredentials) hide(ctx, found);
  const entry = s.keys.get(key);
  if (!entry || (entry.expiresAt !== Infinity && entry.expiresAt <= Date.now() / 1000)) return { status: 401, message: ERR_INVALID };
  const consumer = s.consumers.byId.get(entry.credential.consumer.id) ?? null;
  if (!consumer) return { status: 500, message: 'An unexpected error occurred' };
  setConsumer(ctx, consumer, { id: entry.credential.id, identifier: entry.credential.id });
  return null;
}

export const keyAuthHandler: PluginHandler<KeyAuthState> = {
  name: keyAuthSchema.name,
  priority: keyAuthSchema.priority,
  version: keyAuthSchema.version,
  configure(config, env) {
    return {
      keyNames: (config.key_names as string[]).map((n) => n.toLowerCase()),
      hideCredentials: config.hide_credentials as boolean,
      anonymous: config.anonymous,
      inHeader: config.key_in_header as boolean,
      inQuery: config.key_in_query as boolean,
      inBody: config.key_in_body as boolean,
      runOnPreflight: config.run_on_preflight as boolean,
      wwwAuthenticate: `Key realm="${(config.realm as string | null) ?? 'kong'}"`,
      keys: env.index(KEY_INDEX),
      consumers: consumerIndex(env),
    };
  },
  indexes: () => [KEY_INDEX, CONSUMER_INDEX],
  readsRequestBody: (s) => s.inBody,
  access(ctx, s) {
    if (!s.runOnPreflight && ctx.method === 'OPTIONS') return;
    // with `anonymous`, auth plugins are ORed: an earlier one already authenticated the request
    if (s.anonymous && ctx.credential) return;
    const err = authenticate(ctx, s);
    if (!err) return;
    if (s.anonymous) {
      const anon = anonymousConsumer(s.consumers, s.anonymous);
      if (!anon) return ctx.error(500, 'An unexpected error occurred');
      return setConsumer(ctx, anon, null);
    }
    ctx.error(err.status, err.message, err.headers);
  },
};
