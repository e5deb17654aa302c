// A small parser for JavaScript regex syntax (non-unicode mode, as the router compiles route regexes),
// enough to reason about how a backtracking engine will run a pattern: character sets, groups,
// alternatives, quantifiers, assertions and backreferences. Only called on patterns `new RegExp`
// accepted, so it is lenient where the syntax is (Annex B: `a{` and `\8` are literals).

/** Sorted, disjoint, inclusive UTF-16 code-unit ranges, flattened: [lo0, hi0, lo1, hi1, ...]. */
export type CharSet = readonly number[];

const MAX_UNIT = 0xffff;

export function charSet(ranges: readonly number[]): CharSet {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i], ranges[i + 1]]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (last > 0 && lo <= out[last] + 1) out[last] = Math.max(out[last], hi);
    else out.push(lo, hi);
  }
  return out;
}

export const union = (a: CharSet, b: CharSet): CharSet => charSet([...a, ...b]);

export function negate(a: CharSet): CharSet {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] > next) out.push(next, a[i] - 1);
    next = a[i + 1] + 1;
  }
  if (next <= MAX_UNIT) out.push(next, MAX_UNIT);
  return out;
}

export function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i + 1] < b[j]) i += 2;
    else if (b[j + 1] < a[i]) j += 2;
    else return true;
  }
  return false;
}

/** With the `i` flag a set also holds the other case of its ASCII letters (close enough to reason about overlap). */
function foldCase(a: CharSet): CharSet {
  const extra: number[] = [];
  for (let i = 0; i < a.length; i += 2) {
    const [lo, hi] = [a[i], a[i + 1]];
    if (hi >= 65 && lo <= 90) extra.push(Math.max(lo, 65) + 32, Math.min(hi, 90) + 32);
    if (hi >= 97 && lo <= 122) extra.push(Math.max(lo, 97) - 32, Math.min(hi, 122) - 32);
  }
  return extra.length ? charSet([...a, ...extra]) : a;
}

const DIGIT = charSet([48, 57]);
const WORD = charSet([48, 57, 65, 90, 95, 95, 97, 122]);
const SPACE = charSet([9, 13, 32, 32, 160, 160, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff]);
export const ANY = charSet([0, MAX_UNIT]);
const DOT = negate(charSet([10, 10, 13, 13, 0x2028, 0x2029]));
const CLASS_ESCAPES: Record<string, CharSet> = { d: DIGIT, D: negate(DIGIT), w: WORD, W: negate(WORD), s: SPACE, S: negate(SPACE) };
const CONTROL_ESCAPES: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13, '0': 0 };

interface Span {
  /** offsets in the pattern, for quoting the offending part in a message */
  start: number;
  end: number;
}
export type RegexNode =
  | (Span & { type: 'char'; set: CharSet })
  | (Span & { type: 'assert' })
  | (Span & { type: 'backref' })
  | (Span & { type: 'group'; alts: RegexNode[][]; look: boolean })
  | (Span & { type: 'repeat'; min: number; max: number; body: RegexNode });

/** Capturing groups and whether any is named: `\N` and `\k<name>` are backreferences only then (Annex B). */
function countGroups(s: string): { count: number; named: boolean } {
  let count = 0;
  let named = false;
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') {
      if (s[i + 1] !== '?') count++;
      else if (s[i + 2] === '<' && s[i + 3] !== '=' && s[i + 3] !== '!') {
        count++;
        named = true;
      }
    }
  }
  return { count, named };
}

class Parser {
  i = 0;
  readonly groups: { count: number; named: boolean };
  constructor(
    readonly s: string,
    readonly ignoreCase: boolean,
  ) {
    this.groups = countGroups(s);
  }

  set(a: CharSet): CharSet {
    return this.ignoreCase ? foldCase(a) : a;
  }

  alternatives(): RegexNode[][] {
    const alts: RegexNode[][] = [this.sequence()];
    while (this.s[this.i] === '|') {
      this.i++;
      alts.push(this.sequence());
    }
    return alts;
  }

  sequence(): RegexNode[] {
    const items: RegexNode[] = [];
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') items.push(this.quantified(this.atom()));
    return items;
  }

  atom(): RegexNode {
    const start = this.i;
    const c = this.s[this.i++];
    if (c === '(') return this.group(start);
    if (c === '[') return { type: 'char', set: this.charClass(), start, end: this.i };
    if (c === '.') return { type: 'char', set: DOT, start, end: this.i };
    if (c === '^' || c === '$') return { type: 'assert', start, end: this.i };
    if (c === '\\') return this.escape(start);
    return { type: 'char', set: this.set(charSet([c.charCodeAt(0), c.charCodeAt(0)])), start, end: this.i };
  }

  group(start: number): RegexNode {
    let look = false;
    if (this.s[this.i] === '?') {
      const m = /^\?(?::|=|!|<=|<!|<[^>]*>)/.exec(this.s.slice(this.i));
      look = m !== null && m[0] !== '?:' && !(m[0].startsWith('?<') && m[0].endsWith('>'));
      this.i += m ? m[0].length : 1;
    }
    const alts = this.alternatives();
    this.i++; // ')'
    return { type: 'group', alts, look, start, end: this.i };
  }

  escape(start: number): RegexNode {
    const c = this.s[this.i++] ?? '\\';
    const node = (set: CharSet): RegexNode => ({ type: 'char', set: this.set(set), start, end: this.i });
    if (CLASS_ESCAPES[c]) return node(CLASS_ESCAPES[c]);
    if (c === 'b' || c === 'B') return { type: 'assert', start, end: this.i };
    if (c >= '1' && c <= '9') {
      const digits = /^\d*/.exec(this.s.slice(this.i))?.[0] ?? '';
      if (Number(c + digits) <= this.groups.count) {
        this.i += digits.length;
        return { type: 'backref', start, end: this.i };
      }
    }
    if (c === 'k' && this.groups.named && this.s[this.i] === '<') {
      const close = this.s.indexOf('>', this.i);
      this.i = close === -1 ? this.s.length : close + 1;
      return { type: 'backref', start, end: this.i };
    }
    const unit = this.escapedUnit(c);
    return node(charSet([unit, unit]));
  }

  /** The code unit of an escape that stands for one character (`\x41`, `\u0041`, `\n`, `\.`...). */
  escapedUnit(c: string): number {
    const hex = c === 'x' ? 2 : c === 'u' ? 4 : 0;
    if (hex && new RegExp(`^[0-9a-fA-F]{${hex}}`).test(this.s.slice(this.i))) {
      this.i += hex;
      return parseInt(this.s.slice(this.i - hex, this.i), 16);
    }
    if (c === 'c' && /[a-zA-Z]/.test(this.s[this.i] ?? '')) return this.s.charCodeAt(this.i++) % 32;
    return CONTROL_ESCAPES[c] ?? c.charCodeAt(0);
  }

  charClass(): CharSet {
    const negated = this.s[this.i] === '^';
    if (negated) this.i++;
    let set: CharSet = [];
    while (this.i < this.s.length && this.s[this.i] !== ']') {
      const lo = this.classAtom();
      if (this.s[this.i] === '-' && this.s[this.i + 1] !== ']' && this.i + 1 < this.s.length && lo.length === 2 && lo[0] === lo[1]) {
        this.i++;
        const hi = this.classAtom();
        set = union(set, hi.length === 2 && hi[0] === hi[1] && hi[0] >= lo[0] ? [lo[0], hi[0]] : union(lo, union(hi, [45, 45])));
      } else set = union(set, lo);
    }
    this.i++; // ']'
    // with `i`, [^b] matches neither b nor B: fold the listed characters before negating
    return negated ? negate(this.set(set)) : this.set(set);
  }

  classAtom(): CharSet {
    const c = this.s[this.i++];
    if (c !== '\\') return [c.charCodeAt(0), c.charCodeAt(0)];
    const e = this.s[this.i++] ?? '\\';
    if (CLASS_ESCAPES[e]) return CLASS_ESCAPES[e];
    const unit = e === 'b' ? 8 : this.escapedUnit(e);
    return [unit, unit];
  }

  quantified(atom: RegexNode): RegexNode {
    const c = this.s[this.i];
    let min: number;
    let max: number;
    if (c === '*' || c === '+' || c === '?') {
      [min, max] = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
      this.i++;
    } else {
      const m = c === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i)) : null;
      if (!m || atom.type === 'assert') return atom;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length;
    }
    if (this.s[this.i] === '?') this.i++; // lazy: same search space, other order
    return { type: 'repeat', min, max, body: atom, start: atom.start, end: this.i };
  }
}

/** Parses a pattern `new RegExp(source, ignoreCase ? 'i' : '')` accepted. */
export function parseRegex(source: string, ignoreCase = false): RegexNode {
  const p = new Parser(source, ignoreCase);
  const alts = p.alternatives();
  return { type: 'group', alts, look: false, start: 0, end: source.length };
}
