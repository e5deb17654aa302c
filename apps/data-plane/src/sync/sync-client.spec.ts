// Both ends of the sync protocol over real gRPC on 127.0.0.1: the data plane's SyncClient against the
// control plane's SyncServer, in one process.
import * as net from 'node:net';
import { emptyConfig, makeSnapshot, type ConfigSet, type Service, type Snapshot } from '@archway/schema';
import { createLogger, silentLogger, type Logger } from '@archway/telemetry';
// Test only: the real server end of the protocol, so both planes are checked together. Production code
// never crosses apps; if this spec moves to test/e2e the disable goes with it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { SyncServer } from '../../../control-plane/src/clustering/sync-server';
import { SyncClient, type SyncClientOptions, type SyncState } from './sync-client';
import { sleep, waitUntil } from '../testing/fixtures';

const svc = (host: string): Service => ({
  id: '0b7f2a5e-8a4f-4f59-9d3e-4a1f5b2c9d01', created_at: 1, updated_at: 1, name: 'svc', protocol: 'http', host, port: 80,
  path: null, retries: 5, connect_timeout: 60000, write_timeout: 60000, read_timeout: 60000, tags: null,
  client_certificate: null, tls_verify: null, tls_verify_depth: null, ca_certificates: null, enabled: true,
});
const config = (host: string): ConfigSet => ({ ...emptyConfig(), services: [svc(host)] });
const snap = (version: number) => makeSnapshot(version, config(`v${version}.internal`));
/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A data plane's config: what apply() stored, in order. */
class FakeDataPlane {
  applied: Snapshot[] = [];
  serving: Snapshot | null;
  reject: ((s: Snapshot) => string | null) | null = null;
  delayMs = 0;

  constructor(initial: Snapshot | null = null) {
    this.serving = initial;
  }

  readonly current = () => (this.serving ? { version: this.serving.version, hash: this.serving.hash } : null);

  readonly apply = async (s: Snapshot) => {
    if (this.delayMs) await sleep(this.delayMs);
    const why = this.reject?.(s);
    if (why) throw new Error(why);
    this.applied.push(s);
    this.serving = s;
  };
}

describe('SyncClient with SyncServer', () => {
  const servers: SyncServer[] = [];
  const clients: SyncClient[] = [];

  async function startServer(port = 0): Promise<{ server: SyncServer; port: number }> {
    const server = new SyncServer({ logger: silentLogger, softwareVersion: '0.1.0' });
    servers.push(server);
    return { server, port: await server.listen('127.0.0.1', port) };
  }

  function startClient(dp: FakeDataPlane, controlPlanes: string[], logger: Logger = silentLogger, extra: Partial<SyncClientOptions> = {}) {
    const client = new SyncClient({
      controlPlanes,
      node: { id: 'dp-1', hostname: 'dp-1.local', zone: 'zone-a', version: '0.1.0', labels: { role: 'edge' } },
      logger,
      current: dp.current,
      apply: dp.apply,
      backoff: { initialMs: 20, maxMs: 200 },
      ...extra,
    });
    clients.push(client);
    client.start();
    return client;
  }

  const statusOf = (server: SyncServer) => server.dataPlanes().find((d) => d.id === 'dp-1');

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
    for (const s of servers.splice(0)) await s.close();
  });

  it('syncs on connect and the control plane records the ACK', async () => {
    const { server, port } = await startServer();
    server.publish(snap(4));
    const dp = new FakeDataPlane();
    const client = startClient(dp, [`127.0.0.1:${port}`]);
    await waitUntil(() => statusOf(server)?.sync_status === 'normal', 'the ACK');
    expect(dp.applied.map((s) => s.version)).toEqual([4]);
    expect(dp.serving?.config).toEqual(snap(4).config);
    expect(client.state).toBe('connected');
    expect(statusOf(server)).toMatchObject({ hostname: 'dp-1.local', zone: 'zone-a', labels: { role: 'edge' }, config_version: 4, config_hash: snap(4).hash, connected: true });
  });

  it('a data plane that already serves the newest hash gets nothing to apply', async () => {
    const { server, port } = await startServer();
    server.publish(snap(4));
    const dp = new FakeDataPlane(snap(4));
    const states: SyncState[] = [];
    const client = startClient(dp, [`127.0.0.1:${port}`]);
    client.on('state', (s) => states.push(s));
    await waitUntil(() => client.state === 'connected' && statusOf(server)?.sync_status === 'normal', 'the connection');
    await sleep(100);
    expect(dp.applied).toEqual([]);
    expect(statusOf(server)?.config_version).toBe(4);
  });

  it('NACKs a config apply() rejects, is not sent it again, and takes the next publish', async () => {
    const { server, port } = await startServer();
    server.publish(snap(1));
    const dp = new FakeDataPlane();
    let attempts = 0;
    dp.reject = (s) => (s.version === 2 ? (attempts++, 'routes r1: invalid regex') : null);
    startClient(dp, [`127.0.0.1:${port}`]);
    await waitUntil(() => statusOf(server)?.config_version === 1, 'version 1');
    server.publish(snap(2));
    await waitUntil(() => statusOf(server)?.sync_status === 'config_nack', 'the NACK');
    expect(statusOf(server)).toMatchObject({ config_version: 1, config_hash: snap(1).hash, last_error: { code: 3, message: 'routes r1: invalid regex', config_version: 2 } });
    await sleep(200);
    expect(attempts).toBe(1);
    server.publish(snap(3));
    await waitUntil(() => statusOf(server)?.sync_status === 'normal', 'the ACK of 3');
    expect(dp.applied.map((s) => s.version)).toEqual([1, 3]);
  });

  it('NACKs a snapshot whose config does not match its hash', async () => {
    const { server, port } = await startServer();
    server.publish({ ...snap(1), hash: 'f'.repeat(64) });
    const dp = new FakeDataPlane();
    startClient(dp, [`127.0.0.1:${port}`]);
    await waitUntil(() => statusOf(server)?.sync_status === 'config_nack', 'the NACK');
    expect(statusOf(server)?.last_error?.message).toMatch(/config hash mismatch/);
    expect(dp.applied).toEqual([]);
  });

  it('latest wins under rapid publishes: ends on the newest and never goes back', async () => {
    const { server, port } = await startServer();
    const dp = new FakeDataPlane();
    dp.delayMs = 15;
    startClient(dp, [`127.0.0.1:${port}`]);
    await waitUntil(() => statusOf(server)?.connected === true, 'the connection');
    for (let v = 1; v <= 40; v++) {
      server.publish(snap(v));
      if (v % 5 === 0) await sleep(5);
    }
    await waitUntil(() => statusOf(server)?.config_version === 40, 'version 40');
    const versions = dp.applied.map((s) => s.version);
    expect(versions[versions.length - 1]).toBe(40);
    expect(versions.length).toBeLessThan(40);
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1]);
  });

  it('reconnects after the control plane restarts on the same port and converges', async () => {
    const first = await startServer();
    first.server.publish(snap(1));
    const dp = new FakeDataPlane();
    const client = startClient(dp, [`127.0.0.1:${first.port}`]);
    await waitUntil(() => statusOf(first.server)?.config_version === 1, 'version 1');
    await first.server.close();
    await waitUntil(() => client.state !== 'connected', 'the disconnect');
    await sleep(100); // a few failed attempts while nothing listens
    const second = await startServer(first.port);
    second.server.publish(snap(2));
    await waitUntil(() => statusOf(second.server)?.config_version === 2, 'version 2 after the restart');
    expect(client.state).toBe('connected');
    expect(dp.applied.map((s) => s.version)).toEqual([1, 2]);
  });

  it('skips a dead first address, uses the second, and logs the failed attempt', async () => {
    const dead = await deadPort();
    const { server, port } = await startServer();
    server.publish(snap(1));
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) });
    const dp = new FakeDataPlane();
    startClient(dp, [`127.0.0.1:${dead}`, `127.0.0.1:${port}`], logger);
    await waitUntil(() => statusOf(server)?.config_version === 1, 'version 1 from the second address');
    const warn = lines.find((l) => l.level === 'warn');
    expect(warn).toMatchObject({ msg: 'cannot connect to control plane', address: `127.0.0.1:${dead}`, next_address: `127.0.0.1:${port}` });
    expect(typeof warn?.retry_in_ms).toBe('number');
  });

  it('keeps retrying while no control plane is up, without throwing, and stop() ends it', async () => {
    const dead = await deadPort();
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'warn', write: (l) => lines.push(JSON.parse(l)) });
    const client = startClient(new FakeDataPlane(), [`127.0.0.1:${dead}`], logger);
    await waitUntil(() => lines.length >= 3, 'three failed attempts');
    await client.stop();
    const seen = lines.length;
    await sleep(300);
    expect(lines.length).toBe(seen);
    expect(client.state).toBe('disconnected');
  });

  it('without any control plane address it logs what to set and stays disconnected', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'warn', write: (l) => lines.push(JSON.parse(l)) });
    const client = startClient(new FakeDataPlane(), [], logger);
    expect(client.state).toBe('disconnected');
    expect(lines[0]).toMatchObject({ level: 'error', msg: expect.stringMatching(/ARCHWAY_CLUSTER_CONTROL_PLANE/) });
  });
});
