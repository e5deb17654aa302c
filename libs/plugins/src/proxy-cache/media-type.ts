// Content-Type matching for proxy-cache's content_type list (Kong 3.x, parse_mime_type): type and
// subtype compared case-insensitively with `*` wildcards, parameters must be the same set
// ("application/json; charset=utf-8" is not "application/json").
export interface MediaType {
  type: string;
  subtype: string;
  params: Record<string, string>;
}

export function parseMediaType(value: string): MediaType | null {
  const [essence, ...rest] = value.split(';');
  const slash = essence.indexOf('/');
  if (slash <= 0) return null;
  const type = essence.slice(0, slash).trim().toLowerCase();
  const subtype = essence.slice(slash + 1).trim().toLowerCase();
  if (!type || !subtype) return null;
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { type, subtype, params };
}

export function matchesMediaType(actual: MediaType, expected: MediaType): boolean {
  if (expected.type !== '*' && expected.type !== actual.type) return false;
  if (expected.subtype !== '*' && expected.subtype !== actual.subtype) return false;
  const want = Object.keys(expected.params);
  if (want.length !== Object.keys(actual.params).length) return false;
  return want.every((k) => actual.params[k] === expected.params[k]);
}
