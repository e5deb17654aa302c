// Sticky assignment for canary: an identifier (consumer id, client IP, header value) always lands in
// the same bucket, and buckets are spread evenly, so "bucket < share" sends `share`% of identifiers.

/** Buckets per 100%: 0.01% resolution, so decimal percentages (0.5) are honoured. */
export const BUCKETS = 10_000;

/** FNV-1a over UTF-16 code units, finished with murmur3's fmix32 so the low bits mix well. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The identifier's bucket, 0 … BUCKETS-1. */
export function bucketOf(identifier: string): number {
  return hash32(identifier) % BUCKETS;
}

/**
 * The share (0–100) of a ramp at `nowMs`: 0 before `startS`, then growing in `steps` equal steps to
 * 100 at `startS + durationS` (Kong Enterprise canary's start/duration/steps).
 */
export function rampShare(nowMs: number, startS: number, durationS: number, steps: number): number {
  const elapsed = nowMs / 1000 - startS;
  if (elapsed <= 0) return 0;
  if (elapsed >= durationS) return 100;
  return (Math.floor((elapsed / durationS) * steps) / steps) * 100;
}
