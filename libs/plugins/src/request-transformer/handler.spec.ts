import { runPlugin, type FakeRequest } from '../testing/spec-kit';
import { requestTransformerHandler } from './handler';

const run = (config: Record<string, unknown>, req: FakeRequest = {}) => runPlugin(requestTransformerHandler, config, req);
const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('request-transformer', () => {
  it('removes, renames, replaces, adds and appends headers, in that order', async () => {
    const config = {
      remove: { headers: ['X-Drop'] },
      rename: { headers: ['X-Old:X-New'] },
      replace: { headers: ['X-Rep:new', 'X-Absent:never'] },
      add: { headers: ['X-Add:1', 'X-Rep:ignored'] },
      append: { headers: ['X-List:b'] },
    };
    const { ctx } = await run(config, { headers: { 'x-drop': '1', 'x-old': 'v', 'x-rep': 'old', 'x-list': 'a' } });
    expect(ctx.headers).toEqual({ 'x-new': 'v', 'x-rep': 'new', 'x-add': '1', 'x-list': ['a', 'b'] });
  });

  it('fills header values from templates reading request headers and query parameters', async () => {
    const config = { add: { headers: ['X-User:$(headers.x_user_id)', 'X-Page:p=$(query_params["page"])'] } };
    const { ctx } = await run(config, { headers: { 'x-user-id': '42' }, query: 'page=3' });
    expect(ctx.headers).toMatchObject({ 'x-user': '42', 'x-page': 'p=3' });
  });

  it('transforms the query string (sorted as Kong encodes it)', async () => {
    const config = {
      remove: { querystring: ['drop'] },
      rename: { querystring: ['old:new'] },
      replace: { querystring: ['rep:2'] },
      add: { querystring: ['added:yes', 'rep:no'] },
      append: { querystring: ['list:b'] },
    };
    const { ctx } = await run(config, { query: 'drop=1&old=v&rep=1&list=a' });
    expect(ctx.query).toBe('added=yes&list=a&list=b&new=v&rep=2');
  });

  it('transforms a JSON body and updates Content-Length', async () => {
    const config = { remove: { body: ['secret'] }, rename: { body: ['a:b'] }, replace: { body: ['n:replaced'] }, add: { body: ['new:x'] }, append: { body: ['tags:t2'] } };
    const { ctx, chain } = await run(config, { method: 'POST', headers: { ...json }, body: JSON.stringify({ secret: 1, a: 2, n: 3, tags: 't1' }) });
    expect(chain.readsRequestBody).toBe(true);
    expect(JSON.parse(ctx.body!.toString())).toEqual({ b: 2, n: 'replaced', new: 'x', tags: ['t1', 't2'] });
    expect(ctx.headers['content-length']).toBe(String(ctx.body!.length));
  });

  it('transforms a form body, and leaves other bodies alone', async () => {
    const config = { remove: { body: ['pw'] }, add: { body: ['role:user'] } };
    expect((await run(config, { method: 'POST', headers: form, body: 'name=al&pw=x' })).ctx.body?.toString()).toBe('name=al&role=user');
    expect((await run(config, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'pw=x' })).ctx.body?.toString()).toBe('pw=x');
  });

  it('does not buffer the body when no body operation or method change needs it', async () => {
    expect((await run({ add: { headers: ['X-A:1'] } })).chain.readsRequestBody).toBe(false);
  });

  it('changes the method, moving a form body into the query string for GET', async () => {
    const { ctx } = await run({ http_method: 'GET' }, { method: 'POST', headers: form, query: 'a=1', body: 'b=2' });
    expect(ctx.method).toBe('GET');
    expect(ctx.query).toBe('a=1&b=2');
  });

  it('replaces the upstream path with replace.uri, templates included', async () => {
    const { ctx } = await run({ replace: { uri: '/v2/users/$(headers.x_user)' } }, { path: '/old', headers: { 'x-user': '7' } });
    expect(ctx.path).toBe('/v2/users/7');
  });
});
