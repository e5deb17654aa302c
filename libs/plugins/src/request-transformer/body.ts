// request-transformer's body transformations (kong/plugins/request-transformer/access.lua:
// transform_json_body, transform_url_encoded_body): remove, rename, replace, add, append over the
// top-level fields of a JSON object or a form.
import { appendValue, render, type Entry } from '../shared/transform-entries';
import type { PluginContext } from '@archway/pipeline';

export interface BodyOps {
  remove: Entry[];
  rename: Entry[];
  replace: Entry[];
  add: Entry[];
  append: Entry[];
}

export const hasBodyOps = (ops: BodyOps) => ops.remove.length + ops.rename.length + ops.replace.length + ops.add.length + ops.append.length > 0;

type Fields = Record<string, unknown>;

/** Applies the operations; returns whether anything changed. `exists` follows Kong (a truthy field). */
function apply(fields: Fields, ops: BodyOps, hadBody: boolean, value: (e: Entry) => string): boolean {
  let changed = false;
  // remove, rename and replace act only on a body that was sent
  if (hadBody) {
    for (const e of ops.remove) {
      delete fields[e.name];
      changed = true;
    }
    for (const e of ops.rename) {
      if (fields[e.name] === undefined) continue;
      const to = value(e);
      fields[to] = fields[e.name];
      if (to !== e.name) delete fields[e.name];
      changed = true;
    }
    for (const e of ops.replace) {
      if (fields[e.name] === undefined) continue;
      fields[e.name] = value(e);
      changed = true;
    }
  }
  for (const e of ops.add) {
    if (fields[e.name] !== undefined) continue;
    fields[e.name] = value(e);
    changed = true;
  }
  for (const e of ops.append) {
    fields[e.name] = appendValue(fields[e.name] as string | string[] | undefined, value(e));
    changed = true;
  }
  return changed;
}

function parseForm(text: string): Fields {
  const out: Fields = {};
  for (const [k, v] of new URLSearchParams(text)) out[k] = k in out ? appendValue(out[k] as string | string[], v) : v;
  return out;
}

function encodeForm(fields: Fields): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const item of Array.isArray(v) ? v : [v]) out.append(k, String(item));
  return out.toString();
}

/** Transforms ctx.body by its content type (JSON or form; other bodies pass untouched). */
export function transformBody(ctx: PluginContext, ops: BodyOps, query: URLSearchParams | null): void {
  const type = (ctx.header('content-type') ?? '').toLowerCase();
  const isJson = type.includes('application/json');
  const isForm = type.includes('application/x-www-form-urlencoded');
  if (!isJson && !isForm) return;
  const text = ctx.body?.toString('utf8') ?? '';
  const value = (e: Entry) => render(e.value, ctx, query);
  let fields: Fields;
  if (isForm) fields = parseForm(text);
  else {
    try {
      const parsed: unknown = text === '' ? {} : JSON.parse(text);
      // Kong leaves a body it cannot read as an object alone
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return;
      fields = parsed as Fields;
    } catch {
      return;
    }
  }
  if (!apply(fields, ops, text.length > 0, value)) return;
  ctx.body = Buffer.from(isForm ? encodeForm(fields) : JSON.stringify(fields));
  ctx.setHeader('content-length', String(ctx.body.length));
}

/** http_method GET/HEAD/TRACE: a form body's fields move into the query string, as Kong does. */
export function formBodyToQuery(ctx: PluginContext, query: URLSearchParams): boolean {
  if (!(ctx.header('content-type') ?? '').toLowerCase().includes('application/x-www-form-urlencoded') || !ctx.body?.length) return false;
  let changed = false;
  for (const [k, v] of new URLSearchParams(ctx.body.toString('utf8'))) {
    query.append(k, v);
    changed = true;
  }
  return changed;
}
