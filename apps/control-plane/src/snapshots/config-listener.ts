// LISTENs for committed config changes, so that every control-plane replica (not only the one that
// took the write) rebuilds and pushes. Reconnects on its own; a lost notification is covered by the
// next one and by the rebuild on reconnect.
import type { Logger } from '@archway/telemetry';
import { Client } from 'pg';

export class ConfigListener {
  #client: Client | null = null;
  #closed = false;
  #retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onChange: (version: number | undefined) => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: 'archway-config-listener' });
    client.on('notification', (msg) => {
      const v = Number(msg.payload);
      this.onChange(Number.isFinite(v) ? v : undefined);
    });
    client.on('error', (err) => {
      this.logger.warn('config listener lost its database connection; reconnecting', { err });
      this.#reconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    this.#client = client;
  }

  #reconnect(): void {
    const old = this.#client;
    this.#client = null;
    old?.end().catch(() => undefined);
    if (this.#closed || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.start()
        .then(() => this.onChange(undefined))
        .catch(() => this.#reconnect());
    }, 1000);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    await this.#client?.end().catch(() => undefined);
  }
}
