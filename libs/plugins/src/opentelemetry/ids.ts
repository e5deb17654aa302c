// Trace and span ids as lower-case hex: random bytes drawn from a pooled buffer refilled 4 KiB at a
// time (one randomFillSync per ~170 requests rather than a crypto call per id), hex through a table.
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.allocUnsafe(4096);
let offset = POOL.length;

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

function randomHex(bytes: number): string {
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  let out = '';
  let zero = true;
  for (let i = 0; i < bytes; i++) {
    const b = POOL[offset++];
    if (b !== 0) zero = false;
    out += HEX[b];
  }
  // an all-zero id is invalid in W3C Trace Context and OTLP
  return zero ? randomHex(bytes) : out;
}

/** 16 random bytes, 32 hex digits */
export const newTraceId = (): string => randomHex(16);
/** 8 random bytes, 16 hex digits */
export const newSpanId = (): string => randomHex(8);
