import { createHmac, generateKeyPairSync, sign, constants, type KeyObject } from 'node:crypto';
import { consumer, runPlugin } from '../testing/spec-kit';
import { jwtHandler } from './handler';

const alice = consumer('11111111-1111-4111-8111-111111111111', 'alice', 'a-1');
const anon = consumer('22222222-2222-4222-8222-222222222222', 'anon');
const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();

let n = 0;
function secret(key: string, algorithm: string, material: { secret?: string; publicKey?: KeyObject }) {
  n++;
  return {
    id: `33333333-3333-4333-8333-${String(n).padStart(12, '0')}`,
    created_at: 1,
    consumer: { id: alice.id },
    key,
    secret: material.secret ?? 'unused',
    algorithm,
    rsa_public_key: material.publicKey ? pem(material.publicKey) : null,
    tags: null,
  };
}

const secrets = [
  secret('hs-key', 'HS256', { secret: 'hs-secret' }),
  secret('hs512-key', 'HS512', { secret: 'hs-secret' }),
  secret('b64-key', 'HS256', { secret: b64url('raw secret bytes') }),
  secret('rs-key', 'RS256', { publicKey: rsa.publicKey }),
  secret('ps-key', 'PS256', { publicKey: rsa.publicKey }),
  secret('es-key', 'ES256', { publicKey: ec.publicKey }),
  secret('ed-key', 'EdDSA', { publicKey: ed.publicKey }),
  { ...secret('orphan-key', 'HS256', { secret: 's' }), consumer: { id: '99999999-9999-4999-8999-999999999999' } },
];
const extra = { consumers: [alice, anon], jwt_secrets: secrets };

function token(alg: string, claims: Record<string, unknown>, signer: (input: Buffer) => Buffer, header: Record<string, unknown> = {}): string {
  const input = `${b64url(JSON.stringify({ typ: 'JWT', alg, ...header }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(signer(Buffer.from(input)))}`;
}
const hs = (claims: Record<string, unknown>, secretBytes: string | Buffer = 'hs-secret', alg = 'HS256', digest = 'sha256') =>
  token(alg, claims, (i) => createHmac(digest, secretBytes).update(i).digest());

const run = (config: Record<string, unknown>, req: { headers?: Record<string, string>; query?: string; method?: string } = {}) =>
  runPlugin(jwtHandler, config, req, { extra });
const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

describe('jwt', () => {
  it(`answers 401 'Unauthorized' with WWW-Authenticate: Bearer when no token is sent`, async () => {
    const { ctx } = await run({});
    expect(ctx.exitResponse).toEqual({ status: 401, body: { message: 'Unauthorized' }, headers: { 'WWW-Authenticate': 'Bearer' }, error: false });
  });

  it('identifies the consumer from an HS256 token in the Authorization header and sets X-Credential-Identifier to the key', async () => {
    const t = hs({ iss: 'hs-key' });
    const { ctx } = await run({}, bearer(t));
    expect(ctx.exitResponse).toBeNull();
    expect(ctx.headers).toMatchObject({ 'x-consumer-id': alice.id, 'x-consumer-username': 'alice', 'x-credential-identifier': 'hs-key' });
    expect(ctx.shared.get('authenticated_jwt_token')).toBe(t);
  });

  it('verifies HS512, RS256, PS256, ES256 and EdDSA signatures', async () => {
    const tokens = [
      hs({ iss: 'hs512-key' }, 'hs-secret', 'HS512', 'sha512'),
      token('RS256', { iss: 'rs-key' }, (i) => sign('sha256', i, rsa.privateKey)),
      token('PS256', { iss: 'ps-key' }, (i) => sign('sha256', i, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })),
      token('ES256', { iss: 'es-key' }, (i) => sign('sha256', i, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' })),
      token('EdDSA', { iss: 'ed-key' }, (i) => sign(null, i, ed.privateKey)),
    ];
    for (const t of tokens) expect((await run({}, bearer(t))).ctx.consumer?.username).toBe('alice');
  });

  it("answers 401 'Invalid signature' for a token signed with another secret or key", async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (const t of [hs({ iss: 'hs-key' }, 'wrong'), token('ES256', { iss: 'es-key' }, (i) => sign('sha256', i, { key: other.privateKey, dsaEncoding: 'ieee-p1363' }))])
      expect((await run({}, bearer(t))).ctx.exitResponse).toMatchObject({ status: 401, body: { message: 'Invalid signature' }, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
  });

  it("answers 'Bad token; invalid JSON', 'invalid alg' and 'Invalid algorithm' for malformed tokens and a mismatched alg", async () => {
    const body = async (t: string) => (await run({}, bearer(t))).ctx.exitResponse?.body;
    expect(await body('not-a-jwt')).toEqual({ message: 'Bad token; invalid JSON' });
    expect(await body(token('none', { iss: 'hs-key' }, () => Buffer.alloc(0)))).toEqual({ message: 'Bad token; invalid alg' });
    expect(await body(hs({ iss: 'hs-key' }, 'x', 'HS512', 'sha512'))).toEqual({ message: 'Invalid algorithm' });
  });

  it("answers 401 when the key claim is missing, empty or unknown, naming key_claim_name", async () => {
    const body = async (claims: Record<string, unknown>, config: Record<string, unknown> = {}) => (await run(config, bearer(hs(claims)))).ctx.exitResponse?.body;
    expect(await body({ sub: 'x' })).toEqual({ message: "No mandatory 'iss' in claims" });
    expect(await body({ iss: '' })).toEqual({ message: "Invalid 'iss' in claims" });
    expect(await body({ iss: 'nope' })).toEqual({ message: "No credentials found for given 'iss'" });
    expect(await body({ kid: 'hs-key' }, { key_claim_name: 'kid' })).toBeUndefined();
  });

  it("answers 401 'Could not find consumer' when the secret's consumer is gone", async () => {
    expect((await run({}, bearer(hs({ iss: 'orphan-key' }, 's')))).ctx.exitResponse?.body).toEqual({ message: "Could not find consumer for 'iss=orphan-key'" });
  });

  it('checks exp and nbf only when claims_to_verify lists them, answering with the claim errors', async () => {
    const expired = hs({ iss: 'hs-key', exp: now() - 10 });
    expect((await run({}, bearer(expired))).ctx.exitResponse).toBeNull();
    expect((await run({ claims_to_verify: ['exp'] }, bearer(expired))).ctx.exitResponse).toMatchObject({ status: 401, body: { exp: 'token expired' } });
    expect((await run({ claims_to_verify: ['nbf'] }, bearer(hs({ iss: 'hs-key', nbf: now() + 60 })))).ctx.exitResponse?.body).toEqual({ nbf: 'token not valid yet' });
    expect((await run({ claims_to_verify: ['exp'] }, bearer(hs({ iss: 'hs-key' })))).ctx.exitResponse?.body).toEqual({ exp: 'must be a number' });
  });

  it('refuses a token living longer than maximum_expiration', async () => {
    const config = { claims_to_verify: ['exp'], maximum_expiration: 60 };
    expect((await run(config, bearer(hs({ iss: 'hs-key', exp: now() + 3600 })))).ctx.exitResponse?.body).toEqual({ exp: 'exceeds maximum allowed expiration' });
    expect((await run(config, bearer(hs({ iss: 'hs-key', exp: now() + 30 })))).ctx.exitResponse).toBeNull();
  });

  it('decodes a base64url secret when secret_is_base64 is on', async () => {
    const t = hs({ iss: 'b64-key' }, Buffer.from('raw secret bytes'));
    expect((await run({}, bearer(t))).ctx.exitResponse?.body).toEqual({ message: 'Invalid signature' });
    expect((await run({ secret_is_base64: true }, bearer(t))).ctx.consumer?.username).toBe('alice');
  });

  it('reads tokens from uri_param_names, cookie_names and header_names, and refuses two different tokens', async () => {
    const t = hs({ iss: 'hs-key' });
    expect((await run({}, { query: `jwt=${t}` })).ctx.consumer?.username).toBe('alice');
    expect((await run({ cookie_names: ['session'] }, { headers: { cookie: `a=1; session=${t}` } })).ctx.consumer?.username).toBe('alice');
    expect((await run({ header_names: ['X-Token'] }, { headers: { 'x-token': `Bearer ${t}` } })).ctx.consumer?.username).toBe('alice');
    // the same token twice is one token
    expect((await run({}, { query: `jwt=${t}`, ...bearer(t) })).ctx.consumer?.username).toBe('alice');
    expect((await run({}, { query: `jwt=${t}`, ...bearer(hs({ iss: 'hs-key', x: 1 })) })).ctx.exitResponse?.body).toEqual({ message: 'Multiple tokens provided' });
  });

  it('uses the realm in WWW-Authenticate when configured', async () => {
    expect((await run({ realm: 'api' })).ctx.exitResponse?.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="api"' });
  });

  it('lets a failed request through as the anonymous consumer, and skips preflights when run_on_preflight is off', async () => {
    const { ctx } = await run({ anonymous: 'anon' }, bearer('garbage'));
    expect(ctx.consumer?.id).toBe(anon.id);
    expect(ctx.headers['x-anonymous-consumer']).toBe('true');
    expect((await run({ run_on_preflight: false }, { method: 'OPTIONS' })).ctx.exitResponse).toBeNull();
  });
});
