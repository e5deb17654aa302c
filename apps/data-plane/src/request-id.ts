// Request ids as Kong makes them: 32 hex characters of randomness. Entropy is drawn in blocks so a
// request costs a slice and a hex encode, not a syscall.
import { randomFillSync } from 'node:crypto';

const BLOCK = 16 * 512;
const pool = Buffer.allocUnsafe(BLOCK);
let offset = BLOCK;

export function newRequestId(): string {
  if (offset >= BLOCK) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('hex', offset, offset + 16);
  offset += 16;
  return id;
}

const kRequestId = Symbol('archway.requestId');
type Tagged = { [kRequestId]?: string };

/** Remembers the request id on the client response, for answers given outside the request's own flow (a 408). */
export function tagRequestId(res: object, id: string): void {
  (res as Tagged)[kRequestId] = id;
}

/** The id tagRequestId gave the response; undefined before the request was routed. */
export function requestIdOf(res: object): string | undefined {
  return (res as Tagged)[kRequestId];
}
