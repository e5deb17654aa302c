import { runPlugin, type FakeResponse } from '../testing/spec-kit';
import { responseTransformerHandler } from './handler';

const run = (config: Record<string, unknown>, res: FakeResponse) => runPlugin(responseTransformerHandler, config, {}, { res });
const jsonResponse = (body: unknown, headers: Record<string, string> = {}): FakeResponse => ({
  status: 200,
  headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': '99', ...headers },
  body: JSON.stringify(body),
});

describe('response-transformer', () => {
  it('removes, renames, replaces, adds and appends response headers', async () => {
    const config = {
      remove: { headers: ['X-Powered-By'] },
      rename: { headers: ['X-Old:X-New'] },
      replace: { headers: ['Server:archway', 'X-Absent:no'] },
      add: { headers: ['X-Added:1', 'Server:ignored'] },
      append: { headers: ['X-List:b', 'X-Fresh:c'] },
    };
    const { ctx } = await run(config, { headers: { 'x-powered-by': 'php', 'x-old': 'v', server: 'nginx', 'x-list': 'a' } });
    expect(ctx.responseHeaders).toEqual({ 'x-new': 'v', server: 'archway', 'x-added': '1', 'x-list': ['a', 'b'], 'x-fresh': ['c'] });
  });

  it('transforms top-level JSON fields with json_types, dropping Content-Length', async () => {
    const config = {
      remove: { json: ['secret'] },
      rename: { json: ['a:b'] },
      replace: { json: ['n:5'], json_types: ['number'] },
      add: { json: ['ok:true', 'name:x'], json_types: ['boolean'] },
      append: { json: ['tags:t2'] },
    };
    const { ctx, chain, body } = await run(config, jsonResponse({ secret: 1, a: 2, n: 'old', tags: 't1' }));
    expect(chain.bodyFilter).not.toBeNull();
    expect(JSON.parse(body!)).toEqual({ b: 2, n: 5, ok: true, name: 'x', tags: ['t1', 't2'] });
    expect(ctx.responseHeaders['content-length']).toBeUndefined();
  });

  it('leaves non-JSON and unparsable bodies unchanged', async () => {
    const config = { add: { json: ['x:1'] } };
    expect((await run(config, { headers: { 'content-type': 'text/plain' }, body: '{"a":1}' })).body).toBe('{"a":1}');
    expect((await run(config, { headers: { 'content-type': 'application/json' }, body: 'not json' })).body).toBe('not json');
  });

  it('keeps the response streamed (no body filter on the chain) when no json operation is configured', async () => {
    const { chain, ctx } = await run({ add: { headers: ['X-A:1'] } }, jsonResponse({ a: 1 }));
    expect(chain.bodyFilter).toBeNull();
    expect(ctx.responseHeaders['content-length']).toBe('99');
  });
});
