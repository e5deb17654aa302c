// The literal text every match of a `^`-anchored path regex starts with, so the router can hang the regex
// in its path trie and try it only on paths that start with that text. `~/api/v\d+/users` gives `/api/v`:
// no path outside the trie node for `/api/v` can match it. Must never claim too much: when in doubt it
// stops early, and a regex with an empty literal prefix is simply tried on every path, as before.

/** Characters that end the literal part (metacharacters, and `{`/`}`/`]` which Annex B may or may not read as literals). */
const STOP = new Set(['$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}']);
/** A quantifier after a character makes that character optional (`?`, `*`, `{0,...}`): it is not part of the prefix. */
const OPTIONAL_AFTER = new Set(['?', '*', '{']);

const isAsciiAlphanumeric = (c: string) => /^[0-9A-Za-z]$/.test(c);

/**
 * Whether the pattern has a `|` outside any group or class. Kong anchors a path regex by putting `^` in
 * front, so `/a|/b` is `^/a|/b`: its second branch matches anywhere in the path and has no literal prefix.
 */
export function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

/**
 * The literal prefix of path regex `source` (the route path without its `~`), as the router compiles it:
 * `^` + source, no flags. Plain characters and escaped punctuation (`\/`, `\.`) count; it stops at the
 * first class, group, escape of a letter or digit (`\d`, `\x41`, octal `\1`...), `$` or `.`, and drops a
 * character made optional by `?`, `*` or `{`. '' when the pattern has a top-level alternation.
 */
export function regexLiteralPrefix(source: string): string {
  if (hasTopLevelAlternation(source)) return '';
  let prefix = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '^') {
      i++; // an anchor takes no text: what follows it still starts the match
      continue;
    }
    if (STOP.has(c)) break;
    let literal = c;
    let width = 1;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined || isAsciiAlphanumeric(next) || next.charCodeAt(0) >= 0x80) break;
      literal = next;
      width = 2;
    }
    const after = source[i + width];
    if (after !== undefined && OPTIONAL_AFTER.has(after)) break;
    prefix += literal;
    if (after === '+') break; // one is certain, how many more is not
    i += width;
  }
  return prefix;
}
