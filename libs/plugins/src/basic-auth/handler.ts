// basic-auth (kong/plugins/basic-auth/access.lua, Kong 3.9): `Authorization: Basic …` (or
// `Proxy-Authorization`, tried first) names a credential by username; the password is checked against
// the stored sha1 hash. Credentials are looked up in a map built from a whole snapshot, updated by deltas.
import { timingSafeEqual } from 'node:crypto';
import type { LayeredMap, PluginContext, PluginHandler } from '@archway/pipeline';
import { basicAuthHash, type BasicAuthCredential } from '@archway/schema';
import { anonymousConsumer, CONSUMER_INDEX, consumerIndex, setConsumer, type ConsumerIndex } from '../shared/consumers';
import { lookupByField } from '../shared/lookup-by-field';
import { basicAuthSchema } from './schema';

const ERR_UNAUTHORIZED = 'Unauthorized';
const ERR_UNEXPECTED = 'An unexpected error occurred';
/** Kong's `\s*[Bb]asic\s*(.+)` */
const BASIC_RE = /^\s*[Bb]asic\s*(.+)/;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

interface BasicAuthState {
  hideCredentials: boolean;
  anonymous: unknown;
  wwwAuthenticate: string;
  credentials: LayeredMap<string, BasicAuthCredential>;
  consumers: ConsumerIndex;
}

export const CREDENTIAL_INDEX = lookupByField<BasicAuthCredential, BasicAuthCredential>({
  key: 'basic-auth:usernames',
  collection: 'basicauth_credentials',
  field: (c) => c.username,
  value: (c) => c,
  idOf: (c) => c.id,
});

/** username and password of a `Basic` header value, or null when it is not one (Kong's retrieve_credentials). */
export function parseBasic(value: string | undefined): { username: string; password: string } | null {
  const m = value ? BASIC_RE.exec(value) : null;
  if (!m) return null;
  const encoded = m[1].trim();
  if (!BASE64_RE.test(encoded)) return null;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  // Kong's `([^:]+):(.*)`: a non-empty username, the password may be empty or hold colons
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function verify(s: BasicAuthState, given: { username: string; password: string } | null): BasicAuthCredential | null {
  if (!given) return null;
  const credential = s.credentials.get(given.username);
  if (!credential) return null;
  const digest = Buffer.from(basicAuthHash(given.password, credential.consumer.id));
  const stored = Buffer.from(credential.password);
  // constant-time, so response timing does not reveal how much of the hash matched
  return digest.length === stored.length && timingSafeEqual(digest, stored) ? credential : null;
}

/** true when authenticated; otherwise the request is unauthenticated (the caller answers or goes anonymous). */
function authenticate(ctx: PluginContext, s: BasicAuthState): boolean | 'error' {
  const proxyAuth = ctx.header('proxy-authorization');
  const auth = ctx.header('authorization');
  if (proxyAuth === undefined && auth === undefined) return false;
  // Proxy-Authorization first, then Authorization, as Kong does
  const credential = verify(s, parseBasic(proxyAuth)) ?? verify(s, parseBasic(auth));
  if (s.hideCredentials) {
    ctx.removeHeader('proxy-authorization');
    ctx.removeHeader('authorization');
  }
  if (!credential) return false;
  const consumer = s.consumers.byId.get(credential.consumer.id);
  if (!consumer) return 'error';
  setConsumer(ctx, consumer, { id: credential.id, identifier: credential.username });
  return true;
}

export const basicAuthHandler: PluginHandler<BasicAuthState> = {
  name: basicAuthSchema.name,
  priority: basicAuthSchema.priority,
  version: basicAuthSchema.version,
  configure(config, env) {
    const realm = config.realm as string | null;
    return {
      hideCredentials: config.hide_credentials as boolean,
      anonymous: config.anonymous,
      wwwAuthenticate: realm ? `Basic realm="${realm}"` : 'Basic',
      credentials: env.index(CREDENTIAL_INDEX),
      consumers: consumerIndex(env),
    };
  },
  indexes: () => [CREDENTIAL_INDEX, CONSUMER_INDEX],
  access(ctx, s) {
    // with `anonymous`, auth plugins are ORed: an earlier one already authenticated the request
    if (s.anonymous && ctx.credential) return;
    const ok = authenticate(ctx, s);
    if (ok === true) return;
    if (ok === 'error') return ctx.error(500, ERR_UNEXPECTED);
    if (s.anonymous) {
      const anon = anonymousConsumer(s.consumers, s.anonymous);
      if (!anon) return ctx.error(500, ERR_UNEXPECTED);
      return setConsumer(ctx, anon, null);
    }
    ctx.error(401, ERR_UNAUTHORIZED, { 'WWW-Authenticate': s.wwwAuthenticate });
  },
};
