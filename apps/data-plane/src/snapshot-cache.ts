// The primary's last-known-good cache (ARCHWAY_WORKERS > 1): the same file ConfigStore keeps in a
// single process, checked (hash and schema: snapshot-check.ts) without compiling anything, since the
// workers compile.
import { runSteps, type Snapshot } from '@archway/schema';
import type { Logger } from '@archway/telemetry';
import { cacheFilePath } from './config-store';
import { SnapshotChecker, type CheckedSnapshot } from './snapshot-check';
import { CoalescedSnapshotWriter, readSnapshotFile, SnapshotFileWriter } from './snapshot-file';

const CORRUPT_CACHE = 'ignoring a corrupt or invalid configuration cache; waiting for the control plane';

export class SnapshotCache {
  readonly #file: string;
  readonly #log: Logger;
  /** the whole snapshot, or a journal line when a delta changed a few entities (snapshot-file.ts) */
  readonly #writer: SnapshotFileWriter;
  #writes: Promise<void> = Promise.resolve();
  readonly #later: CoalescedSnapshotWriter;
  /** checks the cached snapshot and remembers it: the sync client reads the first snapshot against it */
  readonly checker = new SnapshotChecker();

  /** `delayMs`: how long writeLater waits, coalescing the snapshots given meanwhile */
  constructor(prefix: string, logger: Logger, delayMs = 1000) {
    this.#file = cacheFilePath(prefix);
    this.#log = logger;
    this.#writer = new SnapshotFileWriter(this.#file);
    this.#later = new CoalescedSnapshotWriter(this.#writer, delayMs, (err) => this.#log.warn('cannot write the configuration cache', { file: this.#file, err }));
  }

  /** Writes `snapshot` later, off the apply's path, unless a newer one comes first (see CoalescedSnapshotWriter). */
  writeLater(snapshot: Snapshot): void {
    this.#later.schedule(snapshot);
  }

  /** The cached snapshot if there is a valid one; a missing, corrupt or invalid cache is logged and ignored. */
  async read(): Promise<CheckedSnapshot | null> {
    let cached: Snapshot | null;
    try {
      cached = await readSnapshotFile(this.#file);
    } catch (err) {
      if (err instanceof SyntaxError) this.#log.warn(CORRUPT_CACHE, { file: this.#file, err });
      else this.#log.warn('cannot read the configuration cache; starting without it', { file: this.#file, err });
      return null;
    }
    if (cached === null) return null;
    try {
      const snapshot = runSteps(this.checker.checkSteps(cached));
      this.#log.info('configuration loaded from cache', { file: this.#file, config_version: snapshot.version });
      return snapshot;
    } catch (err) {
      this.#log.warn(CORRUPT_CACHE, { file: this.#file, err });
      return null;
    }
  }

  /** Writes are serialised so an older snapshot never overwrites a newer one. */
  write(snapshot: Snapshot): Promise<void> {
    const write = this.#writes.then(async () => {
      try {
        await this.#writer.write(snapshot);
      } catch (err) {
        this.#log.warn('cannot write the configuration cache', { file: this.#file, err });
      }
    });
    this.#writes = write;
    return write;
  }

  /** Resolves once every write, a pending writeLater included, is done. */
  async idle(): Promise<void> {
    await this.#later.flush();
    await this.#writes;
  }
}
