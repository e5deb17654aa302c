import { runPlugin } from '../testing/spec-kit';
import { requestSizeLimitingHandler } from './handler';

const run = (config: Record<string, unknown>, headers: Record<string, string>, body?: string) =>
  runPlugin(requestSizeLimitingHandler, config, { method: 'POST', headers, body });
const small = { allowed_payload_size: 10, size_unit: 'bytes' };

describe('request-size-limiting', () => {
  it("answers 413 'Request size limit exceeded' when Content-Length is over the limit", async () => {
    const { ctx } = await run(small, { 'content-length': '11' });
    expect(ctx.exitResponse).toEqual({ status: 413, body: { message: 'Request size limit exceeded' }, headers: null, error: true });
  });

  it('lets a body at the limit through', async () => {
    expect((await run(small, { 'content-length': '10' }, '0123456789')).ctx.exitResponse).toBeNull();
  });

  it('answers 417 instead when the client sent Expect: 100-continue', async () => {
    expect((await run(small, { 'content-length': '11', expect: '100-Continue' })).ctx.exitResponse?.status).toBe(417);
  });

  it('measures the buffered body of a chunked request', async () => {
    const chunked = { 'transfer-encoding': 'chunked' };
    expect((await run(small, chunked, 'x'.repeat(11))).ctx.exitResponse?.status).toBe(413);
    expect((await run(small, chunked, 'x'.repeat(5))).ctx.exitResponse).toBeNull();
  });

  it('counts size_unit kilobytes and megabytes as powers of 1024 (default 128 megabytes)', async () => {
    expect((await run({ allowed_payload_size: 1, size_unit: 'kilobytes' }, { 'content-length': '1024' })).ctx.exitResponse).toBeNull();
    expect((await run({ allowed_payload_size: 1, size_unit: 'kilobytes' }, { 'content-length': '1025' })).ctx.exitResponse?.status).toBe(413);
    expect((await run({}, { 'content-length': String(128 * 2 ** 20 + 1) })).ctx.exitResponse?.status).toBe(413);
  });

  it("answers 411 'A valid Content-Length header is required' to a chunked body when require_content_length is on, and does not buffer bodies then", async () => {
    const { ctx, chain } = await run({ require_content_length: true }, { 'transfer-encoding': 'chunked' }, 'x');
    expect(ctx.exitResponse).toMatchObject({ status: 411, body: { message: 'A valid Content-Length header is required' } });
    expect(chain.readsRequestBody).toBe(false);
    expect((await run({ require_content_length: true }, {})).ctx.exitResponse).toBeNull();
    expect((await run({}, {})).chain.readsRequestBody).toBe(true);
  });
});
