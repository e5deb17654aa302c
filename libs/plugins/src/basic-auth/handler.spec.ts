import { basicAuthHash } from '@archway/schema';
import { consumer, runPlugin } from '../testing/spec-kit';
import { basicAuthHandler } from './handler';

const alice = consumer('11111111-1111-4111-8111-111111111111', 'alice', 'a-1');
const anon = consumer('22222222-2222-4222-8222-222222222222', 'anon');
const cred = {
  id: '33333333-3333-4333-8333-333333333333',
  created_at: 1,
  consumer: { id: alice.id },
  username: 'alice-user',
  password: basicAuthHash('s3cr:et', alice.id),
  tags: null,
};
const extra = { consumers: [alice, anon], basicauth_credentials: [cred] };
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const run = (config: Record<string, unknown>, headers: Record<string, string> = {}, method = 'GET') =>
  runPlugin(basicAuthHandler, config, { headers, method }, { extra });

describe('basic-auth', () => {
  it(`answers 401 'Unauthorized' with WWW-Authenticate: Basic realm="service" when no credentials are sent`, async () => {
    const { ctx } = await run({});
    expect(ctx.exitResponse).toEqual({ status: 401, body: { message: 'Unauthorized' }, headers: { 'WWW-Authenticate': 'Basic realm="service"' }, error: true });
  });

  it('uses the configured realm in WWW-Authenticate', async () => {
    expect((await run({ realm: 'kong' })).ctx.exitResponse?.headers).toEqual({ 'WWW-Authenticate': 'Basic realm="kong"' });
  });

  it("answers 401 'Unauthorized' for a wrong password, an unknown user and a non-Basic scheme", async () => {
    for (const auth of [basic('alice-user', 'nope'), basic('bob', 's3cr:et'), 'Bearer abc', 'Basic !!!notbase64']) {
      const { ctx } = await run({}, { authorization: auth });
      expect(ctx.exitResponse).toMatchObject({ status: 401, body: { message: 'Unauthorized' } });
    }
  });

  it('identifies the consumer (password with a colon, compared to the stored sha1 hash) and sets X-Consumer-* and X-Credential-Identifier', async () => {
    const { ctx } = await run({}, { authorization: basic('alice-user', 's3cr:et') });
    expect(ctx.exitResponse).toBeNull();
    expect(ctx.consumer?.id).toBe(alice.id);
    expect(ctx.headers).toMatchObject({
      'x-consumer-id': alice.id,
      'x-consumer-username': 'alice',
      'x-consumer-custom-id': 'a-1',
      'x-credential-identifier': 'alice-user',
      authorization: basic('alice-user', 's3cr:et'),
    });
  });

  it('accepts the lower-case "basic" scheme and Proxy-Authorization, which is tried first', async () => {
    expect((await run({}, { authorization: basic('alice-user', 's3cr:et').replace('Basic', 'basic') })).ctx.consumer?.username).toBe('alice');
    const { ctx } = await run({}, { 'proxy-authorization': basic('alice-user', 's3cr:et'), authorization: 'Bearer other' });
    expect(ctx.consumer?.username).toBe('alice');
  });

  it('removes Authorization and Proxy-Authorization upstream when hide_credentials is on', async () => {
    const { ctx } = await run({ hide_credentials: true }, { authorization: basic('alice-user', 's3cr:et'), 'proxy-authorization': 'x' });
    expect(ctx.consumer?.username).toBe('alice');
    expect(ctx.headers.authorization).toBeUndefined();
    expect(ctx.headers['proxy-authorization']).toBeUndefined();
  });

  it('lets a failed request through as the anonymous consumer, with X-Anonymous-Consumer', async () => {
    const { ctx } = await run({ anonymous: anon.id }, { authorization: basic('alice-user', 'wrong') });
    expect(ctx.exitResponse).toBeNull();
    expect(ctx.consumer?.username).toBe('anon');
    expect(ctx.headers['x-anonymous-consumer']).toBe('true');
  });

  it('answers 500 when the anonymous consumer does not exist', async () => {
    expect((await run({ anonymous: 'ghost' })).ctx.exitResponse).toMatchObject({ status: 500, body: { message: 'An unexpected error occurred' } });
  });
});
