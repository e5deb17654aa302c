// jwt (kong/plugins/jwt/handler.lua, Kong 3.9): a signed JWT from the query string, a cookie or a
// `Bearer` header names a jwt_secret by its `key_claim_name` claim; the signature and the configured
// claims are checked. Secrets (and their parsed public keys) are indexed from a whole snapshot, the index
// updated by deltas.
import { createPublicKey } from 'node:crypto';
import type { ConfigIndex, LayeredMap, PluginContext, PluginHandler } from '@archway/pipeline';
import type { JwtSecret } from '@archway/schema';
import { anonymousConsumer, CONSUMER_INDEX, consumerIndex, setConsumer, type ConsumerIndex } from '../shared/consumers';
import { lookupByField } from '../shared/lookup-by-field';
import { base64UrlDecode, checkMaximumExpiration, decodeJwt, verifyRegisteredClaims, verifySignature, type VerifyKey } from './jwt-parser';
import { jwtSchema } from './schema';

const ERR_UNEXPECTED = 'An unexpected error occurred';
/** Kong's `\s*[Bb]earer\s+(.+)` (not anchored, as ngx.re.gmatch finds it anywhere) */
const BEARER_RE = /\s*[Bb]earer\s+(.+)/;

interface SecretEntry {
  secret: JwtSecret;
  /** null: the secret or public key could not be read ("Invalid key/secret") */
  key: VerifyKey | null;
}

interface JwtState {
  uriParamNames: string[];
  cookieNames: string[];
  headerNames: string[];
  keyClaimName: string;
  claimsToVerify: string[];
  maximumExpiration: number;
  runOnPreflight: boolean;
  anonymous: unknown;
  wwwAuthenticate: string;
  wwwAuthenticateError: string;
  secrets: LayeredMap<string, SecretEntry>;
  consumers: ConsumerIndex;
}

interface Failure {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function verifyKey(secret: JwtSecret, base64: boolean): VerifyKey | null {
  const isHmac = secret.algorithm.startsWith('HS');
  const material = isHmac ? secret.secret : secret.rsa_public_key;
  if (!material) return null;
  const bytes = base64 ? base64UrlDecode(material) : Buffer.from(material);
  if (!bytes) return null;
  if (isHmac) return bytes;
  try {
    return createPublicKey(bytes);
  } catch {
    return null;
  }
}

/** jwt_secrets by key, with their verification keys; `secret_is_base64` instances share the decoded variant. */
function secretIndex(base64: boolean): ConfigIndex<LayeredMap<string, SecretEntry>> {
  return lookupByField<JwtSecret, SecretEntry>({
    key: base64 ? 'jwt:secrets:base64' : 'jwt:secrets',
    collection: 'jwt_secrets',
    field: (secret) => secret.key,
    value: (secret) => ({ secret, key: verifyKey(secret, base64) }),
    idOf: (entry) => entry.secret.id,
  });
}
export const SECRET_INDEX = { plain: secretIndex(false), base64: secretIndex(true) };
const secretsFor = (config: Record<string, unknown>) => (config.secret_is_base64 ? SECRET_INDEX.base64 : SECRET_INDEX.plain);

function cookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of header?.split(';') ?? []) {
    const eq = pair.indexOf('=');
    if (eq > 0) out.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return out;
}

/** Every distinct token the request carries (Kong's retrieve_tokens): query, cookies, then headers. */
function findTokens(ctx: PluginContext, s: JwtState): Set<string> {
  const tokens = new Set<string>();
  if (s.uriParamNames.length && ctx.query) {
    const query = new URLSearchParams(ctx.query);
    for (const name of s.uriParamNames) for (const t of query.getAll(name)) if (t !== '') tokens.add(t);
  }
  if (s.cookieNames.length) {
    const jar = cookies(ctx.header('cookie'));
    for (const name of s.cookieNames) {
      const t = jar.get(name);
      if (t) tokens.add(t);
    }
  }
  for (const name of s.headerNames) {
    const m = BEARER_RE.exec(ctx.header(name) ?? '');
    if (m && m[1] !== '') tokens.add(m[1]);
  }
  return tokens;
}

function authenticate(ctx: PluginContext, s: JwtState): Failure | null {
  const unauthorized = (body: unknown, header = s.wwwAuthenticateError): Failure => ({ status: 401, body, headers: { 'WWW-Authenticate': header } });
  const tokens = findTokens(ctx, s);
  if (tokens.size === 0) return unauthorized({ message: 'Unauthorized' }, s.wwwAuthenticate);
  if (tokens.size > 1) return unauthorized({ message: 'Multiple tokens provided' });
  const token = tokens.values().next().value as string;

  const jwt = decodeJwt(token);
  if ('error' in jwt) return unauthorized({ message: `Bad token; ${jwt.error}` });
  const claimName = s.keyClaimName;
  const keyValue = jwt.claims[claimName] ?? jwt.header[claimName];
  if (keyValue === undefined || keyValue === null || keyValue === false) return unauthorized({ message: `No mandatory '${claimName}' in claims` });
  if (keyValue === '') return unauthorized({ message: `Invalid '${claimName}' in claims` });

  const entry = s.secrets.get(String(keyValue));
  if (!entry) return unauthorized({ message: `No credentials found for given '${claimName}'` });
  if (jwt.header.alg !== entry.secret.algorithm) return unauthorized({ message: 'Invalid algorithm' });
  if (!entry.key) return unauthorized({ message: 'Invalid key/secret' });
  if (!verifySignature(jwt, entry.secret.algorithm, entry.key)) return unauthorized({ message: 'Invalid signature' });

  const now = Math.floor(Date.now() / 1000);
  const claimErrors = verifyRegisteredClaims(jwt.claims, s.claimsToVerify, now);
  if (claimErrors) return unauthorized(claimErrors);
  if (s.maximumExpiration > 0) {
    const tooLong = checkMaximumExpiration(jwt.claims, s.maximumExpiration, now);
    if (tooLong) return unauthorized(tooLong);
  }

  const consumer = s.consumers.byId.get(entry.secret.consumer.id);
  if (!consumer) return { status: 401, body: { message: `Could not find consumer for '${claimName}=${String(keyValue)}'` } };
  setConsumer(ctx, consumer, { id: entry.secret.id, identifier: entry.secret.key });
  // Kong's kong.ctx.shared.authenticated_jwt_token, for plugins after this one
  ctx.shared.set('authenticated_jwt_token', token);
  return null;
}

export const jwtHandler: PluginHandler<JwtState> = {
  name: jwtSchema.name,
  priority: jwtSchema.priority,
  version: jwtSchema.version,
  configure(config, env) {
    const realm = config.realm as string | null;
    const base = realm ? `Bearer realm="${realm}"` : 'Bearer';
    return {
      uriParamNames: (config.uri_param_names as string[] | null) ?? [],
      cookieNames: (config.cookie_names as string[] | null) ?? [],
      headerNames: ((config.header_names as string[] | null) ?? []).map((n) => n.toLowerCase()),
      keyClaimName: (config.key_claim_name as string | null) ?? 'iss',
      claimsToVerify: (config.claims_to_verify as string[] | null) ?? [],
      maximumExpiration: (config.maximum_expiration as number | null) ?? 0,
      runOnPreflight: config.run_on_preflight as boolean,
      anonymous: config.anonymous,
      wwwAuthenticate: base,
      wwwAuthenticateError: `${base} error="invalid_token"`,
      secrets: env.index(secretsFor(config)),
      consumers: consumerIndex(env),
    };
  },
  indexes: (config) => [secretsFor(config), CONSUMER_INDEX],
  access(ctx, s) {
    if (!s.runOnPreflight && ctx.method === 'OPTIONS') return;
    if (s.anonymous) {
      // logical OR between auth plugins: an earlier one already authenticated the request
      if (ctx.credential) return;
      if (!authenticate(ctx, s)) return;
      const anon = anonymousConsumer(s.consumers, s.anonymous);
      if (!anon) return ctx.error(500, ERR_UNEXPECTED);
      return setConsumer(ctx, anon, null);
    }
    const failure = authenticate(ctx, s);
    // Kong answers with kong.response.exit: the body is `{"message"}` or the claim errors, as is
    if (failure) ctx.exit(failure.status, failure.body, failure.headers);
  },
};
