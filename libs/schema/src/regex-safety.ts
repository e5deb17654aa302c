// A static check that a user's regex (route paths `~...`, header values `~*...`) cannot stall the
// proxy. JavaScript's RegExp backtracks: a pattern that can match the same text in many ways takes
// exponential (or high polynomial) time on a crafted request path or header, and blocks the event loop
// for every request. Such patterns are refused when the config is written (the same check runs again
// on the data plane, which validates every snapshot), with a message saying how to rewrite them.
//
// The check is conservative (a few safe patterns are refused; the message says what to write
// instead), and it refuses:
// - patterns longer than MAX_REGEX_LENGTH;
// - backreferences (`\1`, `\k<name>`): matching them is NP-hard, and Kong's router rejects them too;
// - a repetition (`*`, `+`, `{n,m}` with m > 1) of something that can itself match a varying amount of
//   text, or of alternatives that can match the same text — `(a+)+`, `(a*)*`, `(.*a){20}`, `(a|a)*` —
//   unless every repetition contains a character that the varying parts cannot match (a separator, as
//   the `/` in `(/[^/]+)+`), which makes the way the text splits into repetitions unique;
// - three or more unbounded quantifiers in a row that can trade characters (`.*/.*/.*`): each one
//   multiplies the work by the length of the input (an unanchored pattern counts as one already).
import { ANY, intersects, parseRegex, union, type CharSet, type RegexNode } from './regex-syntax';

export const MAX_REGEX_LENGTH = 1000;

/** A bounded repetition this long backtracks like an unbounded one. */
const LONG_REPEAT = 256;
/** Quantifiers in a row that may trade characters before a pattern is refused (O(n^3) and worse). */
const MAX_CHAIN = 3;

export interface RegexSafetyOptions {
  /** compiled with the `i` flag (header values) */
  ignoreCase?: boolean;
  /** the matcher anchors the pattern at the start (route paths: Kong puts `^` in front) */
  anchored?: boolean;
}

type Group = Extract<RegexNode, { type: 'group' }>;
type Repeat = Extract<RegexNode, { type: 'repeat' }>;

/** Why the regex could stall the proxy (a message for the field), or null when it is safe to run. */
export function regexSafetyProblem(source: string, options: RegexSafetyOptions = {}): string | null {
  if (source.length > MAX_REGEX_LENGTH)
    return `regex is not allowed: it is ${source.length} characters long, at most ${MAX_REGEX_LENGTH} are allowed; split it over several routes or paths`;
  const root = parseRegex(source, options.ignoreCase) as Group;
  const quote = (n: { start: number; end: number }) => {
    const text = source.slice(n.start, n.end);
    return `'${text.length > 60 ? `${text.slice(0, 57)}...` : text}'`;
  };
  const backref = find(root, (n) => n.type === 'backref');
  if (backref)
    return `regex is not allowed: backreferences can take exponential time (${quote(backref)}); match the text itself instead of referring back to a group`;
  const loop = exponentialLoop(root);
  if (loop)
    return loop.alternation
      ? `regex is not allowed: alternatives that can match the same text are repeated, which can take exponential time (${quote(loop.node)}); make the alternatives start with different characters, or use a character class`
      : `regex is not allowed: nested quantifiers can take exponential time (${quote(loop.node)}); quantify a single character or class, or put a character the inner part cannot match in each repetition, as in '(/[^/]+)+'`;
  const chain = polynomialChain(root, source, options.anchored === true);
  if (chain)
    return `regex is not allowed: ${MAX_CHAIN} or more quantifiers in a row can match the same characters, which takes polynomial time (${quote(root)}${chain.unanchored ? '; a pattern not starting with ^ is tried at every position, which counts as one' : ''}); let each stop at a separator, e.g. '[^/]*/' rather than '.*/'`;
  return null;
}

function children(n: RegexNode): RegexNode[] {
  if (n.type === 'group') return n.alts.flat();
  return n.type === 'repeat' ? [n.body] : [];
}

function find(n: RegexNode, pred: (n: RegexNode) => boolean): RegexNode | null {
  if (pred(n)) return n;
  for (const c of children(n)) {
    const hit = find(c, pred);
    if (hit) return hit;
  }
  return null;
}

/** Every character the node can consume. */
function charsOf(n: RegexNode): CharSet {
  if (n.type === 'char') return n.set;
  if (n.type === 'repeat') return n.max === 0 ? [] : charsOf(n.body);
  if (n.type === 'group' && !n.look) return children(n).reduce<CharSet>((acc, c) => union(acc, charsOf(c)), []);
  return [];
}

/** Characters every match of the node must contain, one set per position known to be there. */
function mandatoryOf(n: RegexNode): CharSet[] {
  if (n.type === 'char') return [n.set];
  if (n.type === 'repeat') return n.min >= 1 ? mandatoryOf(n.body) : [];
  if (n.type === 'group' && !n.look && n.alts.length === 1) return n.alts[0].flatMap(mandatoryOf);
  return [];
}

function nullable(n: RegexNode): boolean {
  if (n.type === 'char') return false;
  if (n.type === 'repeat') return n.min === 0 || nullable(n.body);
  if (n.type === 'group' && !n.look) return n.alts.some((alt) => alt.every(nullable));
  return true;
}

/** The characters a sequence can start with. */
function firstOf(items: RegexNode[]): CharSet {
  let acc: CharSet = [];
  for (const n of items) {
    if (n.type === 'char') return union(acc, n.set);
    if (n.type === 'repeat') acc = union(acc, firstOf([n.body]));
    else if (n.type === 'group' && !n.look) acc = union(acc, n.alts.reduce<CharSet>((a, alt) => union(a, firstOf(alt)), []));
    if (!nullable(n)) return acc;
  }
  return acc;
}

/** The leading run of single characters of a sequence (assertions skipped). */
function fixedPrefix(items: RegexNode[]): CharSet[] {
  const out: CharSet[] = [];
  for (const n of items) {
    if (n.type === 'assert') continue;
    if (n.type !== 'char') break;
    out.push(n.set);
  }
  return out;
}

/** Two alternatives may match the same text (judged on their first characters: conservative). */
function mayOverlap(a: RegexNode[], b: RegexNode[]): boolean {
  const pa = fixedPrefix(a);
  const pb = fixedPrefix(b);
  const k = Math.min(pa.length, pb.length);
  if (k === 0) return intersects(firstOf(a), firstOf(b));
  for (let i = 0; i < k; i++) if (!intersects(pa[i], pb[i])) return false;
  return true;
}

function ambiguousAlternation(g: Group): boolean {
  for (let i = 0; i < g.alts.length; i++)
    for (let j = i + 1; j < g.alts.length; j++) if (mayOverlap(g.alts[i], g.alts[j])) return true;
  return false;
}

interface Varying {
  set: CharSet;
  alternation: boolean;
}

/** Parts of a repeated body that can match different amounts of text, or the same text in two ways. */
function varyingParts(n: RegexNode, out: Varying[]): Varying[] {
  if (n.type === 'repeat' && n.max > n.min) out.push({ set: charsOf(n), alternation: false });
  if (n.type === 'group' && !n.look && n.alts.length > 1 && ambiguousAlternation(n)) out.push({ set: charsOf(n), alternation: true });
  if (n.type === 'group' && n.look) return out; // consumes nothing: checked on its own
  for (const c of children(n)) varyingParts(c, out);
  return out;
}

/** A repetition whose iterations can split the same text in exponentially many ways. */
function exponentialLoop(root: RegexNode): { node: Repeat; alternation: boolean } | null {
  let hit: { node: Repeat; alternation: boolean } | null = null;
  find(root, (n) => {
    if (n.type !== 'repeat' || n.max <= 1) return false;
    const varying = varyingParts(n.body, []);
    if (varying.length === 0) return false;
    const separated = mandatoryOf(n.body).some((m) => varying.every((v) => !intersects(m, v.set)));
    if (separated) return false;
    hit = { node: n, alternation: varying.every((v) => v.alternation) };
    return true;
  });
  return hit;
}

const isLong = (n: RegexNode): n is Repeat => n.type === 'repeat' && n.max >= LONG_REPEAT;
const isFlatGroup = (n: RegexNode): n is Group => n.type === 'group' && !n.look && n.alts.length === 1;

interface Chain {
  set: CharSet;
  length: number;
  start: number;
}

/** Walks a sequence (single-alternative groups inlined) counting linked unbounded quantifiers. */
function chainIn(items: RegexNode[], state: { chain: Chain | null }): { start: number; end: number } | null {
  for (const n of items) {
    if (isFlatGroup(n)) {
      const hit = chainIn(n.alts[0], state);
      if (hit) return hit;
      continue;
    }
    const nested = nestedChain(n);
    if (nested) return nested;
    const chain = state.chain;
    if (isLong(n)) {
      const set = charsOf(n);
      const linked = chain !== null && intersects(chain.set, set);
      state.chain = { set, length: linked ? chain.length + 1 : 1, start: linked ? chain.start : n.start };
      if (state.chain.length >= MAX_CHAIN) return { start: state.chain.start, end: n.end };
    } else if (chain !== null && mandatoryOf(n).some((m) => !intersects(m, chain.set))) {
      state.chain = null; // the quantifier before cannot run past this character: the split is unique
    }
  }
  return null;
}

/** Sequences inside alternations, repeated bodies and lookarounds are judged on their own. */
function nestedChain(n: RegexNode): { start: number; end: number } | null {
  if (n.type === 'repeat') return isFlatGroup(n.body) ? chainIn(n.body.alts[0], { chain: null }) : nestedChain(n.body);
  if (n.type !== 'group') return null;
  for (const alt of n.alts) {
    const hit = chainIn(alt, { chain: null });
    if (hit) return hit;
  }
  return null;
}

function polynomialChain(root: Group, source: string, anchored: boolean): { unanchored: boolean } | null {
  for (const alt of root.alts) {
    const items = [...alt];
    // a quantifier at the very end never backtracks into what follows: it does not multiply the work
    while (items.length > 0 && isLong(items[items.length - 1])) items.pop();
    const startsAnchored = anchored || (alt[0]?.type === 'assert' && source[alt[0].start] === '^');
    // an unanchored pattern is tried at every position: one more quantifier over every character
    const chain = startsAnchored ? null : { set: ANY, length: 1, start: 0 };
    if (chainIn(items, { chain })) return { unanchored: !startsAnchored };
  }
  return null;
}
