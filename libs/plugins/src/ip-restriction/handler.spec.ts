import { runPlugin } from '../testing/spec-kit';
import { ipRestrictionHandler } from './handler';

const run = (config: Record<string, unknown>, clientIp: string) => runPlugin(ipRestrictionHandler, config, { clientIp });

describe('ip-restriction', () => {
  it("answers 403 'IP address not allowed: <ip>' to a client outside the allow list", async () => {
    const { ctx } = await run({ allow: ['10.0.0.0/8'] }, '192.168.1.5');
    expect(ctx.exitResponse).toEqual({ status: 403, body: { message: 'IP address not allowed: 192.168.1.5' }, headers: null, error: true });
  });

  it('lets clients inside an allowed CIDR range or matching an allowed address through', async () => {
    expect((await run({ allow: ['10.0.0.0/8'] }, '10.20.30.40')).ctx.exitResponse).toBeNull();
    expect((await run({ allow: ['127.0.0.1'] }, '127.0.0.1')).ctx.exitResponse).toBeNull();
  });

  it('refuses denied clients, and deny wins over allow', async () => {
    expect((await run({ deny: ['127.0.0.1'] }, '127.0.0.1')).ctx.exitResponse?.status).toBe(403);
    expect((await run({ deny: ['127.0.0.1'] }, '127.0.0.2')).ctx.exitResponse).toBeNull();
    expect((await run({ allow: ['10.0.0.0/8'], deny: ['10.0.0.1'] }, '10.0.0.1')).ctx.exitResponse?.status).toBe(403);
  });

  it('matches IPv6 ranges, and IPv4-mapped IPv6 client addresses as IPv4', async () => {
    expect((await run({ deny: ['2001:db8::/32'] }, '2001:db8::1')).ctx.exitResponse?.status).toBe(403);
    const { ctx } = await run({ deny: ['10.0.0.0/8'] }, '::ffff:10.1.1.1');
    expect(ctx.exitResponse?.body).toEqual({ message: 'IP address not allowed: 10.1.1.1' });
  });

  it('answers with the configured status and message', async () => {
    const { ctx } = await run({ deny: ['0.0.0.0/0'], status: 401, message: 'go away' }, '8.8.8.8');
    expect(ctx.exitResponse).toMatchObject({ status: 401, body: { message: 'go away' } });
  });
});
