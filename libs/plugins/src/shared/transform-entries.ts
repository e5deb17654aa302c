// The `name:value` entries of request-transformer and response-transformer, parsed once at configure
// (Kong's iter: `^([^:]+):*(.-)$`), with request-transformer's `$(headers.x)` style templates
// compiled into parts.
import type { PluginContext } from '@archway/pipeline';

/** A value: literal text, or a template reading the request (headers, query_params, shared). */
export type TemplatePart = string | { source: 'headers' | 'query_params' | 'shared'; name: string };

export interface Entry {
  name: string;
  /** '' when the entry had no value */
  value: readonly TemplatePart[];
  /** the entry's position (response-transformer's json_types[i]) */
  index: number;
}

// $(headers.x), $(headers["x-y"]), $(headers['x']), likewise query_params and shared
const TEMPLATE_RE = /\$\(\s*(headers|query_params|shared)\s*(?:\.([A-Za-z0-9_]+)|\[\s*["']([^"']+)["']\s*\])\s*\)/g;

export function compileTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of text.matchAll(TEMPLATE_RE)) {
    const at = m.index ?? 0;
    if (at > last) parts.push(text.slice(last, at));
    const source = m[1] as 'headers' | 'query_params' | 'shared';
    const name = m[2] ?? m[3];
    parts.push({ source, name: source === 'headers' ? name.toLowerCase().replace(/_/g, '-') : name });
    last = at + m[0].length;
  }
  if (last < text.length || parts.length === 0) parts.push(text.slice(last));
  return parts;
}

export function parseEntries(list: readonly string[] | null | undefined, templates = false): Entry[] {
  return (list ?? []).map((item, index) => {
    const colon = item.indexOf(':');
    const name = colon < 0 ? item : item.slice(0, colon);
    const value = colon < 0 ? '' : item.slice(colon + 1).replace(/^:+/, '');
    return { name, value: templates ? compileTemplate(value) : [value], index };
  });
}

/** The rendered value; a template part with nothing to read renders as ''. */
export function render(parts: readonly TemplatePart[], ctx: PluginContext | null, query: URLSearchParams | null): string {
  if (parts.length === 1 && typeof parts[0] === 'string') return parts[0];
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if (p.source === 'headers') out += ctx?.header(p.name) ?? '';
    else if (p.source === 'query_params') out += query?.get(p.name) ?? '';
    else {
      const v = ctx?.shared.get(p.name);
      out += v === undefined || v === null ? '' : String(v);
    }
  }
  return out;
}

/** Kong's append_value: a value becomes a list, a list grows. */
export function appendValue<T>(current: T | T[] | undefined | null, value: T): T[] {
  if (current === undefined || current === null) return [value];
  return Array.isArray(current) ? [...current, value] : [current, value];
}
