// Request ids as Kong makes them: 32 hex characters of randomness. Entropy is drawn and hex-encoded
// in blocks of 512 ids, so a request costs a substring, not a syscall or an encode.
import { randomFillSync } from 'node:crypto';

const IDS_PER_BLOCK = 512;
const ID_LENGTH = 32;
const bytes = Buffer.allocUnsafe((IDS_PER_BLOCK * ID_LENGTH) / 2);
let block = '';
let offset = IDS_PER_BLOCK * ID_LENGTH;

export function newRequestId(): string {
  if (offset >= block.length) {
    randomFillSync(bytes);
    block = bytes.toString('hex');
    offset = 0;
  }
  const id = block.slice(offset, offset + ID_LENGTH);
  offset += ID_LENGTH;
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
