// The disk cache's JSON (the snapshot as JSON.stringify writes it), produced in pieces of about 64 KiB
// so that writing a large snapshot never holds the event loop for one 8 MB JSON.stringify: each piece
// is built synchronously, and the file write between pieces lets requests through.
import type { Snapshot } from '@archway/schema';
import { writeFileAtomic } from './write-file-atomic';

const PIECE_CHARS = 64 * 1024;

/** JSON.stringify(snapshot) as a sequence of pieces (entity by entity; the text is the same JSON). */
export function* snapshotJsonPieces(snapshot: Snapshot): Generator<string> {
  let text = `{"version":${JSON.stringify(snapshot.version)},"hash":${JSON.stringify(snapshot.hash)},"config":{`;
  let firstKey = true;
  for (const [key, list] of Object.entries(snapshot.config)) {
    if (!Array.isArray(list)) continue;
    text += `${firstKey ? '' : ','}${JSON.stringify(key)}:[`;
    firstKey = false;
    for (let i = 0; i < list.length; i++) {
      text += (i ? ',' : '') + JSON.stringify(list[i]);
      if (text.length >= PIECE_CHARS) {
        yield text;
        text = '';
      }
    }
    text += ']';
  }
  yield `${text}}}`;
}

/** Writes `snapshot` as the cache file, atomically (write-file-atomic.ts), piece by piece. */
export function writeSnapshotFile(file: string, snapshot: Snapshot): Promise<void> {
  return writeFileAtomic(file, snapshotJsonPieces(snapshot));
}
