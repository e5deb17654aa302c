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

/**
 * Writes the newest of the snapshots it is given, at most one write at a time and none sooner than
 * `delayMs` after the one scheduling it: a burst of applies (deltas every few ms) costs one write of the
 * last one, off the apply's path. A crash in between leaves the previous cache, an older good config the
 * control plane brings up to date on reconnect.
 */
export class CoalescedSnapshotWriter {
  #pending: Snapshot | null = null;
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly delayMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Makes `snapshot` the one to write next (a snapshot scheduled before and not yet written is dropped). */
  schedule(snapshot: Snapshot): void {
    this.#pending = snapshot;
    if (this.#timer) return;
    this.#timer = setTimeout(() => void this.flush(), this.delayMs);
    this.#timer.unref?.();
  }

  /** Writes the pending snapshot now (after a write in progress); resolves once nothing is left to write. */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#writing = this.#writing.then(async () => {
      const snapshot = this.#pending;
      this.#pending = null;
      if (!snapshot) return;
      try {
        await writeSnapshotFile(this.file, snapshot);
      } catch (err) {
        this.onError(err);
      }
    });
    return this.#writing;
  }
}
