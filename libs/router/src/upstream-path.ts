// The path sent upstream: Kong's `strip_path` plus `path_handling` "v0" joining of the service path and
// what is left of the request path (kong/router/utils.lua `sanitize_uri_postfix`, `get_upstream_uri_v0`;
// table of cases in spec/fixtures/router_path_handling_tests.lua). The traditional_compatible router
// always joins the v0 way, whatever the route's `path_handling` says.

const SLASH = 0x2f;

/** Drops a leading `.`/`..` segment that stripping may leave behind (`/foo` + `/foo./x` leaves `./x`). */
function sanitizePostfix(postfix: string): string {
  if (postfix === '') return postfix;
  if (postfix === '.' || postfix === '..') return '';
  if (postfix.startsWith('./')) return postfix.slice(2);
  if (postfix.startsWith('../')) return postfix.slice(3);
  return postfix;
}

/**
 * @param servicePath the service's `path`, or null (treated as `/`)
 * @param stripPath the route's `strip_path`
 * @param matchedLength length of the matched prefix (or whole regex match) at the start of `path`;
 *   1 when the route matched without a path (Kong then treats `/` as the prefix)
 * @param path the normalised request path
 */
export function upstreamPathV0(servicePath: string | null, stripPath: boolean, matchedLength: number, path: string): string {
  const base = servicePath ?? '/';
  const postfix = sanitizePostfix(path.slice(stripPath ? matchedLength : 1));
  const endsWithSlash = path.length > 0 && path.charCodeAt(path.length - 1) === SLASH;

  if (base.charCodeAt(base.length - 1) === SLASH) {
    if (!stripPath) return base + path.slice(1);
    if (postfix === '') {
      if (base === '/') return '/';
      return endsWithSlash ? base : base.slice(0, -1);
    }
    // avoid a double slash when the remainder starts with one
    return postfix.charCodeAt(0) === SLASH ? base.slice(0, -1) + postfix : base + postfix;
  }

  if (!stripPath) return path === '/' ? base : base + path;
  if (postfix === '') return path.length > 1 && endsWithSlash ? `${base}/` : base;
  return postfix.charCodeAt(0) === SLASH ? base + postfix : `${base}/${postfix}`;
}
