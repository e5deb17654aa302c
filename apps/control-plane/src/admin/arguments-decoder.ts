// Decodes Admin API bodies the way Kong does (kong/api/arguments_decoder.lua): JSON, or
// form-urlencoded or multipart/form-data with dotted keys (`service.name=x`, `config.minute=5`) and
// arrays (`paths[]=/a`, `paths[1]=/a`, repeated keys). Values stay strings; the schema coerces them.
import { ArchwayError, ErrorCodes } from '@archway/schema';

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

type Tree = Record<string, unknown>;

/**
 * The largest 1-based array index a form key may carry (`paths[10000]`). Arrays are dense in
 * JavaScript: `a[4294967294]=x` would otherwise allocate a 4-billion-slot array and abort the process.
 */
const MAX_FORM_ARRAY_INDEX = 10_000;

/** `a.b[]`, `a[1].c` -> ['a', 'b', ''] / ['a', 1, 'c'] ('' means append, numbers are 1-based indexes). */
function splitKey(key: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const dotted of key.split('.')) {
    const m = /^([^[\]]*)((?:\[\d*\])*)$/.exec(dotted);
    if (!m) {
      parts.push(dotted);
      continue;
    }
    if (m[1] !== '') parts.push(m[1]);
    for (const idx of m[2].match(/\[(\d*)\]/g) ?? []) {
      const inner = idx.slice(1, -1);
      parts.push(inner === '' ? '' : Number(inner));
    }
  }
  return parts;
}

// `__proto__`, `constructor` and friends are plain keys here (the schema then names them unknown
// fields): reading and writing own properties only keeps a form key from reaching Object.prototype.
function ownValue(node: Tree, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
}

function setOwn(node: Tree, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
}

function assign(tree: Tree, path: (string | number)[], value: string): void {
  let node: Tree | unknown[] = tree;
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    const last = i === path.length - 1;
    const nextIsIndex = !last && (typeof path[i + 1] === 'number' || path[i + 1] === '');
    // `a[1]=x&a[1].b=y`: a key cannot be both a value and a record
    if (node === null || typeof node !== 'object') throw new BodyError(400, `conflicting values for key '${path.join('.')}'`);
    if (Array.isArray(node)) {
      const index = part === '' ? node.length : typeof part === 'number' ? part - 1 : NaN;
      if (!Number.isInteger(index) || index < 0 || index >= MAX_FORM_ARRAY_INDEX)
        throw new BodyError(400, `invalid array index in key '${path.join('.')}' (indexes run from 1 to ${MAX_FORM_ARRAY_INDEX})`);
      if (last) node[index] = value;
      else node = (node[index] ??= nextIsIndex ? [] : {}) as Tree | unknown[];
      continue;
    }
    const key = String(part);
    if (last) {
      const prev = ownValue(node, key);
      // a repeated plain key becomes an array, as Kong does
      setOwn(node, key, prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value]);
    } else {
      const existing = ownValue(node, key);
      if (existing === undefined || typeof existing === 'string') setOwn(node, key, nextIsIndex ? [] : {});
      node = ownValue(node, key) as Tree | unknown[];
    }
  }
}

export function decodeForm(body: string): Tree {
  const tree: Tree = {};
  for (const [key, value] of new URLSearchParams(body)) {
    if (key === '') continue;
    assign(tree, splitKey(key), value);
  }
  return tree;
}

/**
 * multipart/form-data with the same keys as a form. A file part (`curl -F cert=@cert.pem`) counts as
 * its text, as Kong's Admin API takes it (api_helpers.lua parse_value: `v.content`).
 */
export async function decodeMultipart(contentType: string, raw: Buffer): Promise<Tree> {
  let form: FormData;
  try {
    // the platform's own multipart parser (undici's), no dependency needed
    form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new BodyError(400, 'Cannot parse multipart/form-data body');
  }
  const tree: Tree = {};
  for (const [key, value] of form) {
    if (key === '') continue;
    assign(tree, splitKey(key), typeof value === 'string' ? value : await value.text());
  }
  return tree;
}

export interface DecodedBody {
  body: Tree;
  /** form bodies carry strings that the schema must coerce */
  fromForm: boolean;
}

/** Decodes a raw request body by its Content-Type, or rejects with a BodyError carrying Kong's status. */
export async function decodeBody(contentType: string | undefined, raw: Buffer): Promise<DecodedBody> {
  if (raw.length === 0) return { body: {}, fromForm: false };
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new BodyError(400, 'Cannot parse JSON body');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new BodyError(400, 'Cannot parse JSON body');
    return { body: parsed as Tree, fromForm: false };
  }
  if (type === 'application/x-www-form-urlencoded') return { body: decodeForm(raw.toString('utf8')), fromForm: true };
  if (type === 'multipart/form-data') return { body: await decodeMultipart(contentType as string, raw), fromForm: true };
  throw new BodyError(415, 'Unsupported Content-Type: use application/json, application/x-www-form-urlencoded or multipart/form-data');
}

/** `size` and `offset` query arguments, validated as Kong does. */
export function pageArgs(query: Record<string, unknown>): { size: number; sizeGiven: boolean; offset?: string } {
  const rawSize = query.size;
  let size = 100;
  const sizeGiven = rawSize !== undefined;
  if (sizeGiven) {
    size = Number(rawSize);
    if (typeof rawSize !== 'string' || !/^\d+$/.test(rawSize)) throw new ArchwayError(ErrorCodes.INVALID_SIZE, "size must be a number");
    if (size < 1 || size > 1000) throw new ArchwayError(ErrorCodes.INVALID_SIZE, 'size must be an integer between 1 and 1000');
  }
  const offset = typeof query.offset === 'string' ? query.offset : undefined;
  return { size, sizeGiven, offset };
}
