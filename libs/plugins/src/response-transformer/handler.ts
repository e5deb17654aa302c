// response-transformer (kong/plugins/response-transformer/{handler,header_transformer,
// body_transformer}.lua, Kong 3.9): remove, rename, replace, add, append over response headers
// (header_filter) and the top-level fields of a JSON body (body_filter). The body is buffered only
// when json operations are configured (needsResponseBody, decided at configure).
import type { PluginContext, PluginHandler } from '@archway/pipeline';
import { appendValue, parseEntries, type Entry } from '../shared/transform-entries';
import { responseTransformerSchema } from './schema';

type Op = 'remove' | 'rename' | 'replace' | 'add' | 'append';
const OPS: readonly Op[] = ['remove', 'rename', 'replace', 'add', 'append'];

interface JsonEntry extends Entry {
  /** the value as JSON will carry it (json_types: string, number or boolean) */
  json: unknown;
}

interface ResponseTransformerState {
  headers: Record<Op, Entry[]>;
  json: Record<Op, JsonEntry[]>;
  transformsBody: boolean;
}

/** Kong's cast_value; a number that does not parse leaves the field alone (nil in Lua). */
function cast(value: string, type: string | undefined): unknown {
  if (type === 'number') {
    const n = Number(value);
    return value.trim() === '' || Number.isNaN(n) ? undefined : n;
  }
  if (type === 'boolean') return value === 'true';
  return value;
}

function compile(config: Record<string, unknown>): Pick<ResponseTransformerState, 'headers' | 'json'> {
  const headers = {} as Record<Op, Entry[]>;
  const json = {} as Record<Op, JsonEntry[]>;
  for (const op of OPS) {
    const section = (config[op] as Record<string, string[] | null> | null) ?? {};
    headers[op] = parseEntries(section.headers).map((e) => ({ ...e, name: e.name.toLowerCase() }));
    const types = section.json_types ?? [];
    json[op] = parseEntries(section.json).map((e) => ({ ...e, json: cast(e.value[0] as string, types[e.index]) }));
  }
  return { headers, json };
}

const isJson = (ctx: PluginContext) => {
  const type = ctx.responseHeaders['content-type'];
  return typeof type === 'string' && type.toLowerCase().includes('application/json');
};

const text = (e: Entry) => e.value[0] as string;

function transformHeaders(ctx: PluginContext, s: ResponseTransformerState): void {
  const h = ctx.responseHeaders;
  const { remove, rename, replace, add, append } = s.headers;
  for (const e of remove) delete h[e.name];
  for (const e of rename) {
    const to = text(e).toLowerCase();
    if (h[e.name] === undefined || !to) continue;
    const value = h[e.name];
    delete h[e.name];
    h[to] = value;
  }
  for (const e of replace) if (h[e.name] !== undefined) h[e.name] = text(e);
  for (const e of add) if (h[e.name] === undefined) h[e.name] = text(e);
  for (const e of append) {
    const current = h[e.name];
    h[e.name] = appendValue(current === undefined ? undefined : Array.isArray(current) ? current : String(current), text(e));
  }
  // the body is about to change, so its length is no longer known
  if (s.transformsBody && isJson(ctx)) delete h['content-length'];
}

/** Kong's transform_json_body; null when the body is not a JSON object (sent unchanged). */
export function transformJson(body: Buffer, json: ResponseTransformerState['json']): Buffer | null {
  let fields: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    fields = parsed as Record<string, unknown>;
  } catch {
    return null;
  }
  for (const e of json.remove) delete fields[e.name];
  for (const e of json.rename) {
    if (fields[e.name] === undefined) continue;
    const value = fields[e.name];
    delete fields[e.name];
    fields[text(e)] = value;
  }
  for (const e of json.replace) if (e.json !== undefined && fields[e.name] !== undefined) fields[e.name] = e.json;
  for (const e of json.add) if (e.json !== undefined && fields[e.name] === undefined) fields[e.name] = e.json;
  for (const e of json.append) if (e.json !== undefined) fields[e.name] = appendValue(fields[e.name], e.json);
  return Buffer.from(JSON.stringify(fields));
}

export const responseTransformerHandler: PluginHandler<ResponseTransformerState> = {
  name: responseTransformerSchema.name,
  priority: responseTransformerSchema.priority,
  version: responseTransformerSchema.version,
  configure(config) {
    const { headers, json } = compile(config);
    return { headers, json, transformsBody: OPS.some((op) => json[op].length > 0) };
  },
  needsResponseBody: (s) => s.transformsBody,
  headerFilter(ctx, s) {
    transformHeaders(ctx, s);
  },
  bodyFilter(ctx, s, body) {
    if (!s.transformsBody || !isJson(ctx)) return body;
    return transformJson(body, s.json) ?? body;
  },
};
