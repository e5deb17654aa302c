// Decoding and verifying JWTs as Kong's kong/plugins/jwt/jwt_parser.lua does, with node:crypto:
// HS/RS/PS/ES 256–512 and EdDSA. Error texts are Kong's (the handler prefixes "Bad token; ").
import { constants, createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

export type JwtAlgorithm =
  | 'HS256' | 'HS384' | 'HS512'
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'EdDSA';

/** how each algorithm verifies: digest and, for asymmetric keys, the padding or signature encoding */
const ALGORITHMS: Record<JwtAlgorithm, { digest: string | null; kind: 'hmac' | 'rsa' | 'pss' | 'ecdsa' | 'eddsa' }> = {
  HS256: { digest: 'sha256', kind: 'hmac' },
  HS384: { digest: 'sha384', kind: 'hmac' },
  HS512: { digest: 'sha512', kind: 'hmac' },
  RS256: { digest: 'sha256', kind: 'rsa' },
  RS384: { digest: 'sha384', kind: 'rsa' },
  RS512: { digest: 'sha512', kind: 'rsa' },
  PS256: { digest: 'sha256', kind: 'pss' },
  PS384: { digest: 'sha384', kind: 'pss' },
  PS512: { digest: 'sha512', kind: 'pss' },
  ES256: { digest: 'sha256', kind: 'ecdsa' },
  ES384: { digest: 'sha384', kind: 'ecdsa' },
  ES512: { digest: 'sha512', kind: 'ecdsa' },
  EdDSA: { digest: null, kind: 'eddsa' },
};

export const isJwtAlgorithm = (alg: unknown): alg is JwtAlgorithm => typeof alg === 'string' && Object.hasOwn(ALGORITHMS, alg);

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signature: Buffer;
  /** `header.payload` as sent: what the signature covers */
  signingInput: string;
}

const BASE64URL_RE = /^[A-Za-z0-9_\-+/]*={0,2}$/;

/** Kong's base64url decode (padding restored); null when the text is not base64. */
export function base64UrlDecode(text: string): Buffer | null {
  if (!BASE64URL_RE.test(text)) return null;
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function jsonObject(part: string | undefined): Record<string, unknown> | null {
  const raw = part === undefined ? null : base64UrlDecode(part);
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The token's parts, or Kong's reason it is not a JWT ("invalid JSON", "invalid typ", "invalid alg"). */
export function decodeJwt(token: string): DecodedJwt | { error: string } {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0) return { error: 'invalid JSON' };
  const header = jsonObject(token.slice(0, first));
  const claims = jsonObject(token.slice(first + 1, second));
  const signature = base64UrlDecode(token.slice(second + 1));
  if (!header || !claims || !signature) return { error: 'invalid JSON' };
  if (header.typ !== undefined && (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT')) return { error: 'invalid typ' };
  if (!isJwtAlgorithm(header.alg)) return { error: 'invalid alg' };
  return { header, claims, signature, signingInput: token.slice(0, second) };
}

/** The verification key: the HMAC secret's bytes, or a public key object (parsed once per snapshot). */
export type VerifyKey = Buffer | KeyObject;

export function verifySignature(jwt: DecodedJwt, alg: JwtAlgorithm, key: VerifyKey): boolean {
  const { digest, kind } = ALGORITHMS[alg];
  const data = Buffer.from(jwt.signingInput);
  try {
    if (kind === 'hmac') {
      if (!Buffer.isBuffer(key)) return false;
      const expected = createHmac(digest ?? 'sha256', key).update(data).digest();
      return expected.length === jwt.signature.length && timingSafeEqual(expected, jwt.signature);
    }
    if (Buffer.isBuffer(key)) return false;
    if (kind === 'rsa') return verify(digest, data, key, jwt.signature);
    if (kind === 'pss') return verify(digest, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, jwt.signature);
    // JWS ECDSA signatures are r||s (IEEE P1363), not DER
    if (kind === 'ecdsa') return verify(digest, data, { key, dsaEncoding: 'ieee-p1363' }, jwt.signature);
    return verify(null, data, key, jwt.signature);
  } catch {
    // a key of the wrong type for the algorithm, or a malformed signature
    return false;
  }
}

const CLAIM_CHECKS: Record<string, (value: number, now: number) => string | null> = {
  exp: (exp, now) => (exp <= now ? 'token expired' : null),
  nbf: (nbf, now) => (nbf > now ? 'token not valid yet' : null),
};

/** Kong's verify_registered_claims: errors by claim name ({"exp": "token expired"}), or null. */
export function verifyRegisteredClaims(claims: Record<string, unknown>, toVerify: readonly string[], now: number): Record<string, string> | null {
  let errors: Record<string, string> | null = null;
  for (const name of toVerify) {
    const check = CLAIM_CHECKS[name];
    if (!check) continue;
    const value = claims[name];
    const error = typeof value !== 'number' ? 'must be a number' : check(value, now);
    if (error) (errors ??= {})[name] = error;
  }
  return errors;
}

/** Kong's check_maximum_expiration: the token may not live longer than `maximum` seconds from now. */
export function checkMaximumExpiration(claims: Record<string, unknown>, maximum: number, now: number): Record<string, string> | null {
  const exp = claims.exp;
  return typeof exp !== 'number' || exp - now > maximum ? { exp: 'exceeds maximum allowed expiration' } : null;
}
