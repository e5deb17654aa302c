import { runPlugin } from '../testing/spec-kit';
import { requestTerminationHandler } from './handler';

const run = (config: Record<string, unknown>, req: { headers?: Record<string, string>; query?: string; body?: string; method?: string } = {}) =>
  runPlugin(requestTerminationHandler, config, req);

describe('request-termination', () => {
  it("answers 503 'Service unavailable' by default", async () => {
    expect((await run({})).ctx.exitResponse).toEqual({ status: 503, body: { message: 'Service unavailable' }, headers: null, error: false });
  });

  it('answers with the configured status and message, and no body for a status without a default message', async () => {
    expect((await run({ status_code: 403, message: 'Closed for maintenance' })).ctx.exitResponse).toMatchObject({ status: 403, body: { message: 'Closed for maintenance' } });
    expect((await run({ status_code: 204 })).ctx.exitResponse).toMatchObject({ status: 204, body: null });
  });

  it('answers with a raw body and its content type', async () => {
    const { ctx } = await run({ status_code: 200, body: '<h1>bye</h1>', content_type: 'text/html' });
    expect(ctx.exitResponse).toEqual({ status: 200, body: '<h1>bye</h1>', headers: { 'Content-Type': 'text/html' }, error: false });
  });

  it('terminates only requests carrying the trigger header or query parameter', async () => {
    expect((await run({ trigger: 'X-Stop' })).ctx.exitResponse).toBeNull();
    expect((await run({ trigger: 'X-Stop' }, { headers: { 'x-stop': '1' } })).ctx.exitResponse?.status).toBe(503);
    expect((await run({ trigger: 'X-Stop' }, { query: 'X-Stop=' })).ctx.exitResponse?.status).toBe(503);
  });

  it('echoes the request back when echo is on', async () => {
    const { ctx } = await run({ echo: true, status_code: 418 }, { method: 'POST', query: 'a=1', headers: { host: 'api.test:8000', 'content-type': 'application/json' }, body: '{"x":1}' });
    expect(ctx.exitResponse?.status).toBe(418);
    expect(ctx.exitResponse?.body).toMatchObject({
      request: { method: 'POST', host: 'api.test', port: 8000, path: '/', query: { a: '1' }, body: { x: 1 }, raw_body: '{"x":1}' },
      matched_route: { id: ctx.route?.id },
    });
  });
});
