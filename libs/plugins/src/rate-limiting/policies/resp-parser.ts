// RESP2 (the Redis wire protocol) in both directions: commands encoded as arrays of bulk strings, and
// an incremental reply parser that takes bytes as they arrive and yields whole replies.

/** A reply: simple string, integer, bulk string (null when absent), array, or the server's error. */
export type RespValue = string | number | null | RespValue[] | RespReplyError;

/** `-ERR ...` from the server: a value in a reply, not a broken connection. */
export class RespReplyError {
  constructor(readonly message: string) {}
}

export function encodeCommand(args: readonly (string | number)[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) {
    const s = typeof a === 'number' ? String(a) : a;
    out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return out;
}

/** Marks "the buffer ends inside this reply": wait for more bytes. */
const INCOMPLETE = Symbol('incomplete');
type Parsed = { value: RespValue; end: number } | typeof INCOMPLETE;

const CR = 13;

export class RespParser {
  #buf: Buffer = Buffer.alloc(0);

  /** Adds received bytes; returns every reply now complete, in order. Throws on a malformed stream. */
  push(chunk: Buffer): RespValue[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: RespValue[] = [];
    let offset = 0;
    for (;;) {
      const r = this.#parse(offset);
      if (r === INCOMPLETE) break;
      out.push(r.value);
      offset = r.end;
    }
    this.#buf = offset === this.#buf.length ? Buffer.alloc(0) : this.#buf.subarray(offset);
    return out;
  }

  #line(offset: number): { text: string; end: number } | typeof INCOMPLETE {
    const cr = this.#buf.indexOf(CR, offset);
    if (cr < 0 || cr + 1 >= this.#buf.length) return INCOMPLETE;
    return { text: this.#buf.toString('utf8', offset + 1, cr), end: cr + 2 };
  }

  #parse(offset: number): Parsed {
    if (offset >= this.#buf.length) return INCOMPLETE;
    const type = this.#buf[offset];
    const line = this.#line(offset);
    if (line === INCOMPLETE) return INCOMPLETE;
    switch (type) {
      case 0x2b: // '+'
        return { value: line.text, end: line.end };
      case 0x2d: // '-'
        return { value: new RespReplyError(line.text), end: line.end };
      case 0x3a: // ':'
        return { value: Number(line.text), end: line.end };
      case 0x24: {
        // '$'
        const len = Number(line.text);
        if (len < 0) return { value: null, end: line.end };
        if (line.end + len + 2 > this.#buf.length) return INCOMPLETE;
        return { value: this.#buf.toString('utf8', line.end, line.end + len), end: line.end + len + 2 };
      }
      case 0x2a: {
        // '*'
        const count = Number(line.text);
        if (count < 0) return { value: null, end: line.end };
        const items: RespValue[] = [];
        let end = line.end;
        for (let i = 0; i < count; i++) {
          const item = this.#parse(end);
          if (item === INCOMPLETE) return INCOMPLETE;
          items.push(item.value);
          end = item.end;
        }
        return { value: items, end };
      }
      default:
        throw Object.assign(new Error(`malformed Redis reply (type byte 0x${type.toString(16)})`), { code: 'ARCHWAY_REDIS_PROTOCOL' });
    }
  }
}
