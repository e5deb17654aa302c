// Connection pools to upstream origins, shared across config versions: a snapshot that keeps a
// service's origin keeps its pool, so keep-alive connections survive a config change.
import { Pool } from 'undici';
import { connectOption, type UpstreamTls } from './upstream-tls';

export interface PoolSpec {
  /** 'http://host:port' */
  origin: string;
  connectTimeout: number;
  /** https only: verify the upstream certificate (Kong's default, proxy_ssl_verify, is off) */
  tlsVerify: boolean;
  /** https only: CA list, client certificate, verify depth (upstream-tls.ts); wins over tlsVerify when set */
  tls?: UpstreamTls | null;
}

export function poolKey(spec: PoolSpec): string {
  const tls = spec.tls ? spec.tls.digest : spec.tlsVerify ? 1 : 0;
  return `${spec.origin}|${spec.connectTimeout}|${tls}`;
}

export class UpstreamPools {
  #pools = new Map<string, Pool>();

  /** The pool for `spec`, created on first use (creation opens no connection). */
  acquire(spec: PoolSpec): Pool {
    const key = poolKey(spec);
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new Pool(spec.origin, {
        connect: spec.tls
          ? connectOption(spec.tls, spec.connectTimeout)
          : { timeout: spec.connectTimeout, rejectUnauthorized: spec.tlsVerify },
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Closes every pool whose key is not in `keys`; undici lets their in-flight requests finish first. */
  retainOnly(keys: ReadonlySet<string>): void {
    for (const [key, pool] of this.#pools) {
      if (keys.has(key)) continue;
      this.#pools.delete(key);
      pool.close().catch(() => undefined);
    }
  }

  get size(): number {
    return this.#pools.size;
  }

  /** Waits up to `graceMs` for in-flight requests, then destroys what is left. */
  async closeAll(graceMs = 10_000): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(
      pools.map(async (pool) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
        const outcome = await Promise.race([pool.close().catch(() => undefined), late]);
        clearTimeout(timer);
        if (outcome === 'late') await pool.destroy().catch(() => undefined);
      }),
    );
  }
}
