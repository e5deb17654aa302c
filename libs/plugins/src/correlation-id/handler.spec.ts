import { runPlugin } from '../testing/spec-kit';
import { correlationIdHandler } from './handler';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
const run = (config: Record<string, unknown>, headers: Record<string, string> = {}) =>
  runPlugin(correlationIdHandler, config, { headers }, { res: { status: 200, headers: {} } });

describe('correlation-id', () => {
  it('sends Kong-Request-ID upstream as <uuid>#<counter> by default, counting up, and not to the client', async () => {
    const first = (await run({})).ctx;
    const second = (await run({})).ctx;
    const [uuid, n] = String(first.headers['kong-request-id']).split('#');
    expect(uuid).toMatch(new RegExp(`^${UUID}$`));
    expect(second.headers['kong-request-id']).toBe(`${uuid}#${Number(n) + 1}`);
    expect(first.responseHeaders['kong-request-id']).toBeUndefined();
  });

  it('generates a fresh uuid per request with generator uuid, and a tracker id with tracker', async () => {
    const a = (await run({ generator: 'uuid' })).ctx.headers['kong-request-id'];
    expect(a).toMatch(new RegExp(`^${UUID}$`));
    expect((await run({ generator: 'uuid' })).ctx.headers['kong-request-id']).not.toBe(a);
    expect((await run({ generator: 'tracker' })).ctx.headers['kong-request-id']).toMatch(/^\d+-\d+-\d+\.\d{3}$/);
  });

  it('keeps an id the client sent, in the configured header_name', async () => {
    const { ctx } = await run({ header_name: 'X-Trace' }, { 'x-trace': 'abc' });
    expect(ctx.headers['x-trace']).toBe('abc');
  });

  it('echoes the id to the client when echo_downstream is on', async () => {
    const { ctx } = await run({ echo_downstream: true, header_name: 'X-Trace' });
    expect(ctx.responseHeaders['x-trace']).toBe(ctx.headers['x-trace']);
    expect((await run({ echo_downstream: true }, { 'kong-request-id': 'given' })).ctx.responseHeaders['kong-request-id']).toBe('given');
  });
});
