// Authentication and authorization plugins through the real proxy: Kong's refusals (status, message,
// WWW-Authenticate) without reaching the upstream, and the consumer headers the upstream gets once a
// caller is identified (X-Consumer-*, X-Credential-Identifier, X-Consumer-Groups, X-Anonymous-Consumer).
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import type { Consumer } from '@archway/schema';
import { send } from './testing/fixtures';
import { acl, basicAuth, jwtSecret, keyAuth, makeConsumer, startPluginProxy, type PluginProxy } from './testing/plugin-proxy';

const alice = makeConsumer('alice', 'alice-crm-1');
const anon = makeConsumer('anonymous');
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const b64url = (v: object | Buffer) => (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v))).toString('base64url');

function hs256(claims: object, secret: string): string {
  const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

let px: PluginProxy;
beforeEach(async () => {
  px = await startPluginProxy();
});
afterEach(async () => {
  await px.close();
});

/** the upstream saw exactly one request carrying `consumer`'s headers */
function expectConsumerHeaders(c: Consumer, credential: string | undefined) {
  expect(px.upstream.seen).toHaveLength(1);
  const h = px.upstream.seen[0].headers;
  expect({
    id: h['x-consumer-id'],
    username: h['x-consumer-username'],
    custom: h['x-consumer-custom-id'],
    credential: h['x-credential-identifier'],
    anonymous: h['x-anonymous-consumer'],
  }).toEqual({ id: c.id, username: c.username ?? undefined, custom: c.custom_id ?? undefined, credential, anonymous: credential ? undefined : 'true' });
}

describe('basic-auth', () => {
  const extra = { consumers: [alice, anon], basicauth_credentials: [basicAuth(alice, 'alice', 's3cret')] };

  it("answers 401 'Unauthorized' with WWW-Authenticate: Basic realm=\"service\" without credentials", async () => {
    await px.apply([{ name: 'basic-auth' }], extra);
    const res = await send(px.port, { path: '/p' });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ message: 'Unauthorized', request_id: res.headers['x-archway-request-id'] });
    expect(res.headers['www-authenticate']).toBe('Basic realm="service"');
    expect(px.upstream.seen).toHaveLength(0);
  });

  it('answers 401 for a wrong password', async () => {
    await px.apply([{ name: 'basic-auth' }], extra);
    const res = await send(px.port, { path: '/p', headers: { authorization: basic('alice', 'nope') } });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).message).toBe('Unauthorized');
    expect(px.upstream.seen).toHaveLength(0);
  });

  it('proxies with the consumer headers and the username as X-Credential-Identifier, Authorization kept', async () => {
    await px.apply([{ name: 'basic-auth' }], extra);
    const res = await send(px.port, { path: '/p', headers: { authorization: basic('alice', 's3cret') } });
    expect(res.status).toBe(200);
    expectConsumerHeaders(alice, 'alice');
    expect(px.upstream.seen[0].headers.authorization).toBe(basic('alice', 's3cret'));
  });

  it('removes Authorization before proxying with hide_credentials', async () => {
    await px.apply([{ name: 'basic-auth', config: { hide_credentials: true } }], extra);
    expect((await send(px.port, { path: '/p', headers: { authorization: basic('alice', 's3cret') } })).status).toBe(200);
    expect(px.upstream.seen[0].headers.authorization).toBeUndefined();
  });

  it('proxies as the anonymous consumer, with X-Anonymous-Consumer: true, when authentication fails', async () => {
    await px.apply([{ name: 'basic-auth', config: { anonymous: 'anonymous' } }], extra);
    const res = await send(px.port, { path: '/p', headers: { authorization: basic('alice', 'nope') } });
    expect(res.status).toBe(200);
    expectConsumerHeaders(anon, undefined);
  });
});

describe('jwt', () => {
  const secret = jwtSecret(alice, { key: 'alice-key', secret: 'topsecret' });
  const extra = { consumers: [alice, anon], jwt_secrets: [secret] };

  it("answers 401 'Unauthorized' with WWW-Authenticate: Bearer without a token", async () => {
    await px.apply([{ name: 'jwt' }], extra);
    const res = await send(px.port, { path: '/p' });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ message: 'Unauthorized' });
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(px.upstream.seen).toHaveLength(0);
  });

  it('proxies an HS256 Bearer token with the consumer headers and the key as X-Credential-Identifier', async () => {
    await px.apply([{ name: 'jwt' }], extra);
    const token = hs256({ iss: 'alice-key' }, 'topsecret');
    const res = await send(px.port, { path: '/p', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expectConsumerHeaders(alice, 'alice-key');
  });

  it('takes the token from the jwt query parameter', async () => {
    await px.apply([{ name: 'jwt' }], extra);
    const res = await send(px.port, { path: `/p?jwt=${hs256({ iss: 'alice-key' }, 'topsecret')}` });
    expect(res.status).toBe(200);
    expect(px.upstream.seen[0].headers['x-consumer-username']).toBe('alice');
  });

  it("answers 401 'Invalid signature' with error=\"invalid_token\" for a token signed with another secret", async () => {
    await px.apply([{ name: 'jwt' }], extra);
    const res = await send(px.port, { path: '/p', headers: { authorization: `Bearer ${hs256({ iss: 'alice-key' }, 'guess')}` } });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ message: 'Invalid signature' });
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it("answers 401 {\"exp\":\"token expired\"} for an expired token when exp is verified", async () => {
    await px.apply([{ name: 'jwt', config: { claims_to_verify: ['exp'] } }], extra);
    const token = hs256({ iss: 'alice-key', exp: Math.floor(Date.now() / 1000) - 60 }, 'topsecret');
    const res = await send(px.port, { path: '/p', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ exp: 'token expired' });
  });

  it('verifies an ES256 token against the credential\'s public key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const es = jwtSecret(alice, { key: 'alice-es', algorithm: 'ES256', rsa_public_key: publicKey.export({ type: 'spki', format: 'pem' }) });
    await px.apply([{ name: 'jwt' }], { consumers: [alice], jwt_secrets: [es] });
    const head = `${b64url({ alg: 'ES256', typ: 'JWT' })}.${b64url({ iss: 'alice-es' })}`;
    const signature = sign('sha256', Buffer.from(head), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const res = await send(px.port, { path: '/p', headers: { authorization: `Bearer ${head}.${b64url(signature)}` } });
    expect(res.status).toBe(200);
    expectConsumerHeaders(alice, 'alice-es');
  });
});

describe('acl with key-auth', () => {
  const bob = makeConsumer('bob');
  const extra = {
    consumers: [alice, bob, anon],
    keyauth_credentials: [keyAuth(alice, 'k-alice'), keyAuth(bob, 'k-bob')],
    acls: [acl(alice, 'admins'), acl(alice, 'ops'), acl(bob, 'guests')],
  };

  it('proxies a consumer of an allowed group with X-Consumer-Groups listing its groups', async () => {
    await px.apply([{ name: 'key-auth' }, { name: 'acl', config: { allow: ['admins'] } }], extra);
    const res = await send(px.port, { path: '/p', headers: { apikey: 'k-alice' } });
    expect(res.status).toBe(200);
    expectConsumerHeaders(alice, extra.keyauth_credentials[0].id);
    expect(px.upstream.seen[0].headers['x-consumer-groups']).toBe('admins, ops');
  });

  it("answers 403 'You cannot consume this service' to a consumer outside the allowed groups", async () => {
    await px.apply([{ name: 'key-auth' }, { name: 'acl', config: { allow: ['admins'] } }], extra);
    const res = await send(px.port, { path: '/p', headers: { apikey: 'k-bob' } });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ message: 'You cannot consume this service', request_id: res.headers['x-archway-request-id'] });
    expect(px.upstream.seen).toHaveLength(0);
  });

  it('answers 403 to a consumer in a denied group and lets the others through', async () => {
    await px.apply([{ name: 'key-auth' }, { name: 'acl', config: { deny: ['guests'] } }], extra);
    expect((await send(px.port, { path: '/p', headers: { apikey: 'k-bob' } })).status).toBe(403);
    expect((await send(px.port, { path: '/p', headers: { apikey: 'k-alice' } })).status).toBe(200);
  });

  it('sends no X-Consumer-Groups with hide_groups_header', async () => {
    await px.apply([{ name: 'key-auth' }, { name: 'acl', config: { allow: ['admins'], hide_groups_header: true } }], extra);
    expect((await send(px.port, { path: '/p', headers: { apikey: 'k-alice' } })).status).toBe(200);
    expect(px.upstream.seen[0].headers['x-consumer-groups']).toBeUndefined();
  });

  it("answers 401 'Unauthorized' when no authentication plugin identified a consumer", async () => {
    await px.apply([{ name: 'acl', config: { allow: ['admins'] } }], extra);
    const res = await send(px.port, { path: '/p' });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).message).toBe('Unauthorized');
  });
});
