// Malformed Admin API requests from a seeded PRNG, for test/e2e/admin-fuzz.e2e.ts: random JSON, wrong
// types per field, huge strings, deep nesting, astral characters, lone surrogates, NUL bytes, odd form
// keys and random content types. The same seed gives the same requests.

/** mulberry32: a small, fast, seeded PRNG (no dependency). */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const NASTY = ['', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83dy', '😀', '𝕏𝕐', '\u202e', '\ufeff', '../..', '%00', '%', '{', '[]', '__proto__',
  'constructor', 'null', 'true', '-1', '1e309', '0x10', 'NaN', '*', '\\', '"', "'", '\n', 'ü', 'ﬃ', '/a', 'http://', 'https://a.test:99999'];

export function nastyString(r: Rng): string {
  switch (r.int(6)) {
    case 0:
      return r.pick(NASTY);
    case 1:
      return Array.from({ length: 1 + r.int(20) }, () => r.pick(NASTY)).join('');
    case 2:
      return String.fromCharCode(...Array.from({ length: 1 + r.int(30) }, () => r.int(0x10000)));
    case 3:
      return String.fromCodePoint(...Array.from({ length: 1 + r.int(10) }, () => 0x10000 + r.int(0xfffff)));
    case 4:
      return 'x'.repeat(r.chance(0.1) ? 1_000_000 : 300 + r.int(5000));
    default:
      return String(r.int(1e9));
  }
}

function deep(r: Rng, depth: number): unknown {
  let v: unknown = r.pick([1, 'x', null, true]);
  for (let i = 0; i < depth; i++) v = r.chance(0.5) ? [v] : { [r.pick(['a', 'config', 'service', 'id'])]: v };
  return v;
}

/** Nesting too deep for JSON.stringify, written as text: `{"config":[[[{"a":[…]}]]]}`. */
function deepText(r: Rng, depth: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    if (r.chance(0.5)) {
      open += '[';
      close = ']' + close;
    } else {
      open += `{"${r.pick(['a', 'config', 'service', 'id'])}":`;
      close = '}' + close;
    }
  }
  return open + '1' + close;
}

export function randomValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 3 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return r.pick([0, -1, 1.5, 65536, 2 ** 53 + 1, -1e308, 1e308, 1e-320]);
    case 2:
      return r.chance(0.5);
    case 3:
    case 4:
    case 5:
      return nastyString(r);
    case 6:
      return Array.from({ length: r.int(5) }, () => randomValue(r, depth + 1));
    case 7:
      return Object.fromEntries(Array.from({ length: r.int(5) }, () => [r.chance(0.7) ? r.pick(FIELDS) : nastyString(r), randomValue(r, depth + 1)]));
    default:
      return deep(r, 20 + r.int(200));
  }
}

/** Field names the entities have, so wrong types land on real fields. */
const FIELDS = ['id', 'name', 'host', 'port', 'path', 'protocol', 'url', 'retries', 'tags', 'paths', 'hosts', 'methods', 'headers', 'service', 'route',
  'consumer', 'config', 'enabled', 'protocols', 'username', 'custom_id', 'key', 'password', 'secret', 'algorithm', 'group', 'target', 'weight',
  'upstream', 'healthchecks', 'slots', 'hash_on', 'cert', 'key', 'snis', 'certificate', 'ca_certificates', 'client_certificate', 'strip_path',
  'regex_priority', 'instance_name', 'ttl', 'created_at', 'sources', 'destinations', '_format_version', 'services', 'config.minute', 'minute'];

/** A valid body for the collection an endpoint writes, to mutate one field at a time. */
export function baseBody(path: string): Record<string, unknown> {
  const seg = path.replace(/\/\{[^}]+\}$/, '').split('/').pop() ?? '';
  const bases: Record<string, Record<string, unknown>> = {
    services: { name: 'fz-new', host: 'new.test' },
    routes: { paths: ['/fz-new'] },
    consumers: { username: 'fz-new' },
    plugins: { name: 'rate-limiting', config: { minute: 5 } },
    upstreams: { name: 'fz-new.upstream' },
    targets: { target: '10.0.0.1:80' },
    snis: { name: 'fz-new.test' },
    acls: { group: 'g' },
    'key-auth': { key: 'k' },
    'key-auths': { key: 'k' },
    'basic-auth': { username: 'u', password: 'p' },
    jwt: { key: 'k' },
    _format_version: {},
  };
  return { ...(bases[seg] ?? {}) };
}

export interface FuzzRequest {
  body: Buffer;
  type: string | undefined;
  /** what was sent, for the failure report */
  describe: string;
}

const json = (v: unknown, describe: string): FuzzRequest => ({ body: Buffer.from(JSON.stringify(v) ?? 'null'), type: 'application/json', describe });

function formKey(r: Rng): string {
  const parts = Array.from({ length: 1 + r.int(3) }, () => r.pick([...FIELDS, '__proto__', 'constructor', 'prototype', '', nastyString(r).slice(0, 20)]));
  let key = parts.join(r.pick(['.', '..', '.']));
  if (r.chance(0.5)) key += r.pick(['[]', '[1]', '[0]', '[2]', '[99999999]', '[1][2]', '[a]', '[', ']', '[1].x', '[-1]']);
  return key;
}

function form(r: Rng): string {
  const params = new URLSearchParams();
  for (let i = 0, n = 1 + r.int(8); i < n; i++) params.append(formKey(r), r.chance(0.8) ? String(randomValue(r, 4)).slice(0, 2000) : nastyString(r));
  let out = params.toString();
  if (r.chance(0.1)) out += r.pick(['&%zz=1', '&=', '&&&', '%', '&a=%E0%A4%A']);
  return out;
}

export function fuzzRequest(r: Rng, path: string): FuzzRequest {
  switch (r.int(10)) {
    case 0:
      return json(randomValue(r), 'random JSON');
    case 9: {
      const field = r.pick(FIELDS);
      const text = JSON.stringify(baseBody(path)).replace(/}$/, `,${JSON.stringify(field)}:${deepText(r, 1000 + r.int(20000))}}`).replace('{,', '{');
      return { body: Buffer.from(text), type: 'application/json', describe: `${field} nested ${text.length / 2} levels deep` };
    }
    case 1:
    case 2:
    case 3: {
      const body = baseBody(path);
      for (let i = 0, n = 1 + r.int(3); i < n; i++) body[r.pick(FIELDS)] = randomValue(r);
      return json(body, 'valid body with wrong-typed fields');
    }
    case 4: {
      const raw = form(r);
      return { body: Buffer.from(raw), type: 'application/x-www-form-urlencoded', describe: `form ${raw.slice(0, 300)}` };
    }
    case 5: {
      const boundary = `fz${r.int(1e9)}`;
      const parts = Array.from({ length: 1 + r.int(4) }, () => `--${boundary}\r\nContent-Disposition: form-data; name="${formKey(r).replace(/"/g, '')}"\r\n\r\n${nastyString(r).slice(0, 5000)}\r\n`);
      const type = r.chance(0.8) ? `multipart/form-data; boundary=${boundary}` : r.pick(['multipart/form-data', `multipart/form-data; boundary=other`]);
      return { body: Buffer.from(parts.join('') + (r.chance(0.8) ? `--${boundary}--\r\n` : '')), type, describe: `multipart (${type})` };
    }
    case 6: {
      const type = r.pick([undefined, 'text/plain', 'application/xml', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded; charset=latin1',
        'application/vnd.api+json', 'APPLICATION/JSON', '*/*', 'application/json, text/plain', ';;;', 'multipart/mixed', 'application/octet-stream']);
      const body = r.chance(0.5) ? Buffer.from(JSON.stringify(baseBody(path))) : Buffer.from(Array.from({ length: r.int(200) }, () => r.int(256)));
      return { body, type, describe: `content type ${String(type)}` };
    }
    case 7: {
      const raw = JSON.stringify(baseBody(path)).slice(0, -1 - r.int(3)) + r.pick(['', ',', '"\\u', '\\ud800"}', ']', '}}']);
      return { body: Buffer.from(raw), type: 'application/json', describe: `broken JSON ${raw.slice(0, 200)}` };
    }
    default: {
      // escapes JSON.stringify never writes: raw NUL and lone surrogates as \u escapes inside keys and values
      const body = baseBody(path);
      const text = JSON.stringify(body)
        .replace(/}$/, `,${JSON.stringify(r.pick(FIELDS))}:"${r.pick(['\\u0000', '\\ud800', '\\udc00x', 'a\\u0000', '\\ud83d\\ude00'])}"}`)
        .replace('{,', '{');
      return { body: Buffer.from(text), type: 'application/json', describe: `JSON with escapes ${text.slice(0, 200)}` };
    }
  }
}
