// Nonces name one response on one stream (xDS): random, so they never repeat across streams or restarts.
import { randomBytes } from 'node:crypto';

/** A fresh nonce: 16 random bytes, hex. */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}
