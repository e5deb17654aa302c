// Appends log lines to one file, off the request path: lines wait in a bounded buffer and one write
// at a time appends everything buffered (O_APPEND, mode 0644 as Kong's file-log). The file stays
// open between writes unless `reopen` asks for a fresh open (log rotation); a failure is logged with
// Kong's message and the lines of that write are dropped, never thrown at a request.
import { open, type FileHandle } from 'node:fs/promises';
import type { PluginLogger } from '@archway/pipeline';

/** What may wait for the disk; beyond it lines are dropped (a stalled disk must not eat memory). */
export const MAX_PENDING_BYTES = 16 * 1024 * 1024;

export class FileSink {
  #pending: string[] = [];
  #pendingBytes = 0;
  #fd: FileHandle | null = null;
  #reopen = false;
  #writing: Promise<void> | null = null;
  #droppedWarned = false;
  /** plugin instances (across snapshots) writing here; the file is closed when the last one goes */
  users = 0;

  constructor(
    readonly path: string,
    public logger: PluginLogger,
  ) {}

  write(line: string, reopen: boolean): void {
    if (this.#pendingBytes + line.length > MAX_PENDING_BYTES) {
      if (!this.#droppedWarned) this.logger.error('file-log is behind on writing, dropping log lines', { path: this.path });
      this.#droppedWarned = true;
      return;
    }
    this.#pending.push(line);
    this.#pendingBytes += line.length;
    if (reopen) this.#reopen = true;
    if (!this.#writing) this.#writing = this.#drain();
  }

  /** Resolves once everything buffered is written. */
  flushed(): Promise<void> {
    return this.#writing ?? Promise.resolve();
  }

  /** Writes what is buffered, then closes the file. */
  async close(): Promise<void> {
    await this.flushed();
    const fd = this.#fd;
    this.#fd = null;
    await fd?.close().catch(() => undefined);
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const chunk = this.#pending.join('');
      this.#pending = [];
      this.#pendingBytes = 0;
      const reopen = this.#reopen;
      this.#reopen = false;
      try {
        if (reopen && this.#fd) {
          const old = this.#fd;
          this.#fd = null;
          await old.close().catch(() => undefined);
        }
        this.#fd ??= await this.#openFile();
        if (!this.#fd) continue;
        await this.#fd.appendFile(chunk);
        this.#droppedWarned = false;
      } catch (err) {
        this.logger.error(`failed to write to the file: ${(err as Error).message}`, { path: this.path });
        // the next write opens the file again
        await this.#fd?.close().catch(() => undefined);
        this.#fd = null;
      }
    }
    this.#writing = null;
    // a late line from a request of a released instance: do not leave the file open behind it
    if (this.users <= 0 && this.#fd) {
      const fd = this.#fd;
      this.#fd = null;
      await fd.close().catch(() => undefined);
    }
  }

  async #openFile(): Promise<FileHandle | null> {
    try {
      return await open(this.path, 'a', 0o644);
    } catch (err) {
      this.logger.error(`failed to open the file: ${(err as Error).message}`, { path: this.path });
      return null;
    }
  }
}

/** One sink per path for the whole process, as Kong keeps one descriptor per path per worker. */
const SINKS = new Map<string, FileSink>();

export function acquireSink(path: string, logger: PluginLogger): FileSink {
  let sink = SINKS.get(path);
  if (!sink) SINKS.set(path, (sink = new FileSink(path, logger)));
  sink.logger = logger;
  sink.users++;
  return sink;
}

export async function releaseSink(sink: FileSink): Promise<void> {
  if (--sink.users > 0) return;
  if (SINKS.get(sink.path) === sink) SINKS.delete(sink.path);
  await sink.close();
}
