'use strict';
// Many data planes in one process: each a real SyncClient (its own gRPC stream to the control plane)
// whose apply runs what a data plane's ConfigStore runs before it ACKs: compileRuntime (hash check,
// validate, router, plugin chains, pools). The bench observes ACKs through these apply callbacks.
const { randomUUID } = require('node:crypto');
const { join } = require('node:path');
const { ROOT } = require('./lib');

const dist = (...p) => require(join(ROOT, 'dist', ...p));
const { SyncClient } = dist('apps', 'data-plane', 'src', 'sync', 'sync-client.js');
const { compileRuntime } = dist('apps', 'data-plane', 'src', 'runtime-config.js');
const { UpstreamPools } = dist('apps', 'data-plane', 'src', 'upstream-pools.js');
const { createLogger } = dist('libs', 'telemetry', 'src', 'index.js');
const { ARCHWAY_VERSION } = dist('libs', 'config', 'src', 'index.js');

const quiet = createLogger({ level: 'error', bindings: { role: 'bench-fleet' } });

class FleetMember {
  constructor(address, index, fleet) {
    this.runtime = null;
    this.pools = new UpstreamPools();
    this.client = new SyncClient({
      controlPlanes: [address],
      node: { id: randomUUID(), hostname: `bench-${index}`, zone: 'default', version: ARCHWAY_VERSION, labels: {} },
      logger: quiet,
      current: () => (this.runtime ? { version: this.runtime.version, hash: this.runtime.hash } : null),
      apply: (snapshot) => {
        const previous = this.runtime;
        this.runtime = compileRuntime(snapshot, this.pools, quiet);
        this.pools.retainOnly(this.runtime.poolKeys);
        previous?.chains.dispose(() => undefined);
        fleet.applied(this, snapshot);
      },
    });
  }
}

class Fleet {
  constructor(address) {
    this.address = address;
    this.members = [];
    this.waiters = [];
    this.lastSnapshot = null;
  }

  get size() {
    return this.members.length;
  }

  /** Connects more members until there are `n`. */
  grow(n) {
    while (this.members.length < n) {
      const m = new FleetMember(this.address, this.members.length, this);
      this.members.push(m);
      m.client.start();
    }
  }

  /** Resolves once every member has applied a snapshot passing `test` ({ version, config }). */
  async waitAll(test) {
    await Promise.all(this.members.map((m) => this.#until(m, test)));
  }

  async shrink(n) {
    while (this.members.length > n) {
      const m = this.members.pop();
      await m.client.stop();
      m.runtime?.chains.dispose(() => undefined);
      await m.pools.closeAll(0);
    }
  }

  applied(member, snapshot) {
    const at = process.hrtime.bigint();
    this.lastSnapshot = snapshot;
    this.waiters = this.waiters.filter((w) => {
      if (w.member !== member || !w.test(snapshot)) return true;
      w.resolve(at);
      return false;
    });
  }

  /** Resolves with the hrtime at which `member` applied a snapshot passing `test` (the current one counts). */
  #until(member, test) {
    const rt = member.runtime;
    if (rt && test({ version: rt.version, config: rt.config })) return Promise.resolve(process.hrtime.bigint());
    return new Promise((resolve) => this.waiters.push({ member, test, resolve }));
  }

  /** Promises of every member's apply time of the first snapshot that holds route `routeId`. */
  waitRoute(routeId) {
    const has = (s) => s.config.routes.some((r) => r.id === routeId);
    return this.members.map((m) => this.#until(m, has));
  }

  async close() {
    await this.shrink(0);
  }
}

module.exports = { Fleet };
