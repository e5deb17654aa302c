// Runs one job at a time; a job offered while another runs waits, and a newer offer replaces it.
// The data plane feeds it snapshots: whatever arrives during a long apply, only the newest is applied
// next, so an older config is never applied after a newer one.
export class LatestOnly<T> {
  readonly #run: (item: T) => Promise<void>;
  #pending: { item: T } | null = null;
  #running: Promise<void> | null = null;

  constructor(run: (item: T) => Promise<void>) {
    this.#run = run;
  }

  offer(item: T): void {
    this.#pending = { item };
    if (!this.#running) this.#running = this.#drain();
  }

  /** Forgets whatever waits (the job running now finishes). */
  clear(): void {
    this.#pending = null;
  }

  /** Resolves when nothing runs any more. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#pending) {
      const { item } = this.#pending;
      this.#pending = null;
      // run() reports its own failures; a rejection here must not stop the queue
      await this.#run(item).catch(() => undefined);
    }
    this.#running = null;
  }
}
