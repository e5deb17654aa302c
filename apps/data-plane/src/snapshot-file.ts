// The disk cache: the snapshot as JSON.stringify writes it (`snapshot.json`), produced in pieces of
// about 64 KiB so that writing a large snapshot never holds the event loop for one 8 MB JSON.stringify,
// and a journal beside it (`snapshot.json.deltas`): when the config to cache differs from the one on
// disk by a few entities (a delta from the control plane), one JSON line of those changes is appended
// instead of the whole snapshot being written again. 50 data planes on one host writing 8 MB each per
// write was a third of the time a 10,000-route change took to reach them all (docs/benchmarks.md).
import { appendFile, readFile, unlink } from 'node:fs/promises';
import { entityCount, patchConfig, type ConfigCollection, type Snapshot } from '@archway/schema';
import { changesSinceSteps } from './snapshot-changes';
import { runInSlices } from './time-slices';
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

/** The journal of changes since the snapshot in `file`. */
export function journalPath(file: string): string {
  return `${file}.deltas`;
}

/** One line of the journal: what turns the config base_version/base_hash into version/hash. */
interface JournalLine {
  base_version: number;
  base_hash: string;
  version: number;
  hash: string;
  upserted: Partial<Record<ConfigCollection, unknown[]>>;
  removed: Partial<Record<ConfigCollection, string[]>>;
}

/** A line holds fewer changed entities than this and than half the config; a bigger change rewrites the whole file. */
const LINE_CHANGES = 1000;
/** The journal is folded into a new whole file after this many lines (restart replays them all)... */
const JOURNAL_LINES = 256;
/** ...or once it holds more bytes than this or than half the whole file, whichever is more. */
const JOURNAL_MIN_BYTES = 64 * 1024;

/**
 * Writes the snapshots it is given, one at a time in the order given, to `file` and its journal. Only
 * what this writer itself wrote is trusted to be on disk: the first write (and any after a failure)
 * is a whole file, which also drops the journal.
 */
export class SnapshotFileWriter {
  /** the snapshot `file` + journal hold, when this writer wrote them */
  #onDisk: Snapshot | null = null;
  #fileBytes = 0;
  #journalLines = 0;
  #journalBytes = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  write(snapshot: Snapshot): Promise<void> {
    const write = this.#chain.then(() => this.#write(snapshot));
    this.#chain = write.catch(() => undefined);
    return write;
  }

  async #write(snapshot: Snapshot): Promise<void> {
    const disk = this.#onDisk;
    if (disk && disk.version === snapshot.version && disk.hash === snapshot.hash) return;
    this.#onDisk = null; // until this write is done, what is on disk is not known
    const roomy = this.#journalLines < JOURNAL_LINES && this.#journalBytes < Math.max(JOURNAL_MIN_BYTES, this.#fileBytes / 2);
    // what the delta that made it changed, when it was applied to what is on disk; else compared by
    // identity, which walks the changed collections (10,000 routes): in time slices, beside the proxy
    const changes = disk && roomy ? await runInSlices(changesSinceSteps(disk, snapshot, Math.min(LINE_CHANGES, entityCount(snapshot.config) / 2))) : null;
    if (disk && changes) {
      const line: JournalLine = { base_version: disk.version, base_hash: disk.hash, version: snapshot.version, hash: snapshot.hash, ...changes };
      const text = `${JSON.stringify(line)}\n`;
      await appendFile(journalPath(this.file), text, { mode: 0o600 });
      this.#journalLines++;
      this.#journalBytes += text.length;
    } else {
      // the journal goes first: a crash before the new file is in place leaves the old file alone, valid
      await unlink(journalPath(this.file)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      let bytes = 0;
      await writeFileAtomic(this.file, (function* () {
        for (const piece of snapshotJsonPieces(snapshot)) {
          bytes += piece.length;
          yield piece;
        }
      })());
      this.#fileBytes = bytes;
      this.#journalLines = 0;
      this.#journalBytes = 0;
    }
    this.#onDisk = snapshot;
  }
}

/**
 * The cached snapshot: `file` with the journal's lines applied, each to the config it was written
 * against (a line of an older file is skipped; a torn last line, from a crash while appending, ends
 * the journal). Null when there is no file; nothing is checked here (snapshot-check.ts does).
 */
export async function readSnapshotFile(file: string): Promise<Snapshot | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let snapshot = JSON.parse(text) as Snapshot;
  let journal: string;
  try {
    journal = await readFile(journalPath(file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return snapshot;
    throw err;
  }
  for (const raw of journal.split('\n')) {
    if (raw === '') continue;
    let line: JournalLine;
    try {
      line = JSON.parse(raw) as JournalLine;
    } catch {
      break;
    }
    if (line.base_version !== snapshot.version || line.base_hash !== snapshot.hash) continue;
    snapshot = { version: line.version, hash: line.hash, config: patchConfig(snapshot.config, line.upserted, line.removed) };
  }
  return snapshot;
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
    private readonly writer: SnapshotFileWriter,
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
        await this.writer.write(snapshot);
      } catch (err) {
        this.onError(err);
      }
    });
    return this.#writing;
  }
}
