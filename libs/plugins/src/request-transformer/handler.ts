// request-transformer (kong/plugins/request-transformer/access.lua, Kong 3.9): changes the request
// before it goes upstream: remove, rename, replace, add, append (in that order) over headers, query
// string and body; then http_method and replace.uri. Entries and templates are parsed at configure.
import type { PluginContext, PluginHandler } from '@archway/pipeline';
import { appendValue, compileTemplate, parseEntries, render, type Entry, type TemplatePart } from '../shared/transform-entries';
import { formBodyToQuery, hasBodyOps, transformBody, type BodyOps } from './body';
import { requestTransformerSchema } from './schema';

type Section = 'headers' | 'querystring' | 'body';
type Ops = Record<'remove' | 'rename' | 'replace' | 'add' | 'append', Entry[]>;

interface RequestTransformerState {
  headers: Ops;
  querystring: Ops;
  body: BodyOps;
  hasQueryOps: boolean;
  hasBodyOps: boolean;
  method: string | null;
  /** GET/HEAD/TRACE: a form body moves into the query string */
  methodTakesQuery: boolean;
  uri: TemplatePart[] | null;
}

const OPS = ['remove', 'rename', 'replace', 'add', 'append'] as const;

function sectionOps(config: Record<string, unknown>, section: Section, lowerNames: boolean): Ops {
  const ops = {} as Ops;
  for (const op of OPS) {
    const entries = parseEntries((config[op] as Record<string, string[] | null> | null)?.[section], true);
    ops[op] = lowerNames ? entries.map((e) => ({ ...e, name: e.name.toLowerCase() })) : entries;
  }
  return ops;
}

const count = (ops: Ops) => OPS.reduce((n, op) => n + ops[op].length, 0);

function transformHeaders(ctx: PluginContext, ops: Ops, query: URLSearchParams | null): void {
  const value = (e: Entry) => render(e.value, ctx, query);
  for (const e of ops.remove) ctx.removeHeader(e.name);
  for (const e of ops.rename) {
    const current = ctx.headers[e.name];
    if (current === undefined) continue;
    const to = value(e).toLowerCase();
    ctx.headers[to] = current;
    if (to !== e.name) ctx.removeHeader(e.name);
  }
  for (const e of ops.replace) if (ctx.headers[e.name] !== undefined || e.name === 'host') ctx.setHeader(e.name, value(e));
  for (const e of ops.add) if (ctx.headers[e.name] === undefined && e.name !== 'host') ctx.setHeader(e.name, value(e));
  for (const e of ops.append) if (e.name !== 'host') ctx.headers[e.name] = appendValue(ctx.headers[e.name], value(e));
}

/** Kong rebuilds the query from a table: keys come out sorted */
function encodeSorted(query: URLSearchParams): string {
  const sorted = new URLSearchParams(query);
  sorted.sort();
  return sorted.toString();
}

function transformQuery(ctx: PluginContext, ops: Ops, original: URLSearchParams): URLSearchParams {
  const value = (e: Entry) => render(e.value, ctx, original);
  const q = new URLSearchParams(original);
  for (const e of ops.remove) q.delete(e.name);
  for (const e of ops.rename) {
    if (!q.has(e.name)) continue;
    const values = q.getAll(e.name);
    q.delete(e.name);
    const to = value(e);
    q.delete(to);
    for (const v of values) q.append(to, v);
  }
  for (const e of ops.replace) if (q.has(e.name)) q.set(e.name, value(e));
  for (const e of ops.add) if (!q.has(e.name)) q.set(e.name, value(e));
  for (const e of ops.append) q.append(e.name, value(e));
  return q;
}

export const requestTransformerHandler: PluginHandler<RequestTransformerState> = {
  name: requestTransformerSchema.name,
  priority: requestTransformerSchema.priority,
  version: requestTransformerSchema.version,
  configure(config) {
    const headers = sectionOps(config, 'headers', true);
    const querystring = sectionOps(config, 'querystring', false);
    const body = sectionOps(config, 'body', false);
    const method = (config.http_method as string | null)?.toUpperCase() ?? null;
    const uri = (config.replace as Record<string, unknown> | null)?.uri as string | null | undefined;
    return {
      headers,
      querystring,
      body,
      hasQueryOps: count(querystring) > 0,
      hasBodyOps: hasBodyOps(body),
      method,
      methodTakesQuery: method === 'GET' || method === 'HEAD' || method === 'TRACE',
      uri: uri ? compileTemplate(uri) : null,
    };
  },
  readsRequestBody: (s) => s.hasBodyOps || s.methodTakesQuery,
  access(ctx, s) {
    // templates read the query as the client sent it
    const original = ctx.query || s.hasQueryOps ? new URLSearchParams(ctx.query) : null;
    transformHeaders(ctx, s.headers, original);
    let query = s.hasQueryOps ? transformQuery(ctx, s.querystring, original ?? new URLSearchParams()) : null;
    if (s.hasBodyOps) transformBody(ctx, s.body, original);
    if (s.method) {
      ctx.method = s.method;
      if (s.methodTakesQuery) {
        const q = query ?? new URLSearchParams(ctx.query);
        if (formBodyToQuery(ctx, q)) query = q;
      }
    }
    if (query) ctx.query = encodeSorted(query);
    if (s.uri) ctx.path = render(s.uri, ctx, original);
  },
};
