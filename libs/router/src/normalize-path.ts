// RFC 3986 path normalisation as Kong applies it before routing (kong/tools/uri.lua `normalize`, called
// with merge_slashes=true by kong/router/utils.lua `strip_uri_args`), and the escaping Kong applies to
// the path it sends upstream (same file, `escape`). Both take a fast path that returns the input string
// untouched when there is nothing to do, so the common request allocates nothing here.

const PERCENT = 0x25;
const DOT = 0x2e;
const SLASH = 0x2f;

/** Reserved characters (RFC 3986 gen-delims + sub-delims, plus `%`): a `%XX` of one of these stays encoded. */
const RESERVED = new Uint8Array(128);
for (const c of "!*'();:@&=+$,/?%#[]") RESERVED[c.charCodeAt(0)] = 1;

/** Characters Kong leaves as they are when forwarding: reserved, unreserved and `%` itself. */
const SAFE = new Uint8Array(128);
for (const c of "!#$&'()*+,/:;=?@[]-_.~%") SAFE[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) SAFE[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) SAFE[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) SAFE[c] = 1;

const HEX = '0123456789ABCDEF';

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** The byte encoded by `%XX` at `i`, or -1 when `i` does not start a valid triplet. */
function byteAt(s: string, i: number): number {
  if (i + 2 >= s.length || s.charCodeAt(i) !== PERCENT) return -1;
  const hi = hexValue(s.charCodeAt(i + 1));
  const lo = hexValue(s.charCodeAt(i + 2));
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}

/**
 * Decodes one UTF-8 sequence of `%XX` triplets starting at `i` whose lead byte is `lead` (>= 0x80).
 * Returns the code point and the number of triplets, or null for an invalid or overlong sequence.
 */
function utf8At(s: string, i: number, lead: number): { cp: number; n: number } | null {
  const n = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  if (lead < 0xc2 || lead > 0xf4) return null;
  let cp = lead & (n === 2 ? 0x1f : n === 3 ? 0x0f : 0x07);
  for (let k = 1; k < n; k++) {
    const b = byteAt(s, i + 3 * k);
    if (b < 0x80 || b > 0xbf) return null;
    cp = (cp << 6) | (b & 0x3f);
  }
  if ((n === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n === 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return null;
  return { cp, n };
}

/**
 * Decodes `%XX` of unreserved and "other" characters, upper-cases the rest. Like Kong, a malformed
 * triplet (`%zz`, a trailing `%`) is left as it is rather than failing; unlike Kong, which hands raw
 * bytes to its regex engine (and answers 404 when they are not UTF-8), an invalid UTF-8 sequence stays
 * percent-encoded (upper-cased) so the path remains a well-formed string.
 */
function decodePercent(s: string): string {
  let out = '';
  let from = 0;
  for (let i = s.indexOf('%'); i !== -1 && i < s.length; i = s.indexOf('%', i)) {
    const b = byteAt(s, i);
    if (b < 0) {
      i++;
      continue;
    }
    out += s.slice(from, i);
    if (b < 0x80) {
      out += RESERVED[b] ? `%${HEX[b >> 4]}${HEX[b & 15]}` : String.fromCharCode(b);
      i += 3;
    } else {
      const seq = utf8At(s, i, b);
      if (seq) {
        out += String.fromCodePoint(seq.cp);
        i += 3 * seq.n;
      } else {
        out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
        i += 3;
      }
    }
    from = i;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** Removes dot segments and merges `//` (RFC 3986 5.2.4, as kong/tools/uri.lua does it). */
function removeDotSegments(input: string): string {
  const out: string[] = [];
  let s = input;
  while (s.length > 0) {
    const c0 = s.charCodeAt(0);
    const c1 = s.charCodeAt(1);
    const c2 = s.charCodeAt(2);
    if (s === '/.') s = '/';
    else if (s === '/..') {
      s = '/';
      out.pop();
    } else if (s === '.' || s === '..') s = '';
    else if (c0 === DOT && c1 === DOT && c2 === SLASH) s = s.slice(3);
    else if (c0 === DOT && c1 === SLASH) s = s.slice(2);
    else if (c0 === SLASH && c1 === DOT && c2 === SLASH) s = s.slice(2);
    else if (c0 === SLASH && c1 === DOT && c2 === DOT && s.charCodeAt(3) === SLASH) {
      s = s.slice(3);
      out.pop();
    } else if (c0 === SLASH && c1 === SLASH) s = s.slice(1);
    else {
      const next = s.indexOf('/', 1);
      if (next === -1) {
        out.push(s);
        s = '';
      } else {
        out.push(s.slice(0, next));
        s = s.slice(next);
      }
    }
  }
  return out.join('');
}

/**
 * Kong's request-path normalisation: percent-encodings of unreserved and other non-reserved characters
 * decoded, the remaining ones upper-cased, dot segments removed, `//` merged. Never throws.
 */
export function normalizePath(path: string): string {
  if (path === '' || path === '/') return path;
  const decoded = path.includes('%') ? decodePercent(path) : path;
  if (!decoded.includes('.') && !decoded.includes('//')) return decoded;
  return removeDotSegments(decoded);
}

/**
 * Percent-encodes (UTF-8, upper-case hex) every character Kong would not send raw upstream, so a
 * decoded space or `é` goes out as `%20` / `%C3%A9`. Reserved characters and `%` are left alone.
 */
export function escapePath(path: string): string {
  let i = 0;
  for (; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c >= 128 || !SAFE[c]) break;
  }
  if (i === path.length) return path;
  let out = path.slice(0, i);
  for (const ch of path.slice(i)) {
    const c = ch.charCodeAt(0);
    if (c < 128 && SAFE[c]) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}
