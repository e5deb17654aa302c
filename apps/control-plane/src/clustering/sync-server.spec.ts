// The control plane's sync rules, checked with a hand-driven data plane over real gRPC on 127.0.0.1, so
// each test controls exactly which nonce it ACKs or NACKs and when.
import * as grpc from '@grpc/grpc-js';
import { emptyConfig, makeSnapshot, type ConfigSet, type Service, type Snapshot } from '@archway/schema';
import { createConfigSyncClient, snapshotFromProto, type SyncRequest, type SyncResponse__Output } from '@archway/sync';
import { silentLogger } from '@archway/telemetry';
import { SyncServer } from './sync-server';

const svc = (host: string): Service => ({
  id: '0b7f2a5e-8a4f-4f59-9d3e-4a1f5b2c9d01', created_at: 1, updated_at: 1, name: 'svc', protocol: 'http', host, port: 80,
  path: null, retries: 5, connect_timeout: 60000, write_timeout: 60000, read_timeout: 60000, tags: null,
  client_certificate: null, tls_verify: null, tls_verify_depth: null, ca_certificates: null, enabled: true,
});
const config = (host: string): ConfigSet => ({ ...emptyConfig(), services: [svc(host)] });
const snap = (version: number) => makeSnapshot(version, config(`v${version}.internal`));

/** A data plane driven by hand: what it sends and what it received are under the test's control. */
class RawDataPlane {
  readonly responses: SyncResponse__Output[] = [];
  status: grpc.StatusObject | null = null;
  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<SyncRequest, SyncResponse__Output>;
  #waiters: (() => void)[] = [];

  constructor(port: number) {
    const client = createConfigSyncClient(`127.0.0.1:${port}`);
    this.#client = client;
    this.#call = client.StreamConfig();
    this.#call.on('data', (r: SyncResponse__Output) => {
      this.responses.push(r);
      this.#wake();
    });
    this.#call.on('error', () => undefined);
    this.#call.on('status', (s) => {
      this.status = s;
      this.#wake();
    });
  }

  hello(id: string, served: Snapshot | null = null, extra: Partial<SyncRequest> = {}): this {
    this.send({
      node: { id, hostname: `${id}.local`, zone: 'eu-west-1a', software_version: '0.1.0', labels: { tier: 'edge' } },
      version_info: served ? String(served.version) : '',
      config_hash: served?.hash ?? '',
      ...extra,
    });
    return this;
  }

  send(req: SyncRequest): void {
    this.#call.write(req);
  }

  ack(r: SyncResponse__Output): void {
    this.send({ version_info: r.version_info, response_nonce: r.nonce, config_hash: r.snapshot!.hash });
  }

  /** Waits until `n` responses have arrived (or the stream ended). */
  async received(n: number): Promise<SyncResponse__Output[]> {
    while (this.responses.length < n && !this.status) await new Promise<void>((r) => this.#waiters.push(r));
    if (this.responses.length < n) throw new Error(`stream ended after ${this.responses.length} responses: ${this.status?.details}`);
    return this.responses;
  }

  async ended(): Promise<grpc.StatusObject> {
    while (!this.status) await new Promise<void>((r) => this.#waiters.push(r));
    return this.status;
  }

  close(): void {
    this.#call.cancel();
    this.#client.close();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const fn of w) fn();
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A round trip through the server plus a pause, so what was sent before has been processed. */
async function settle(server: SyncServer, port: number): Promise<void> {
  await new Promise((r) => setTimeout(r, 50));
  const probe = new RawDataPlane(port).hello(`probe-${Math.random()}`);
  await until(() => server.dataPlanes().some((d) => d.id.startsWith('probe-') && d.connected), 'the probe');
  probe.close();
}

describe('SyncServer', () => {
  let server: SyncServer;
  let port: number;
  const dps: RawDataPlane[] = [];
  const dp = () => {
    const d = new RawDataPlane(port);
    dps.push(d);
    return d;
  };

  beforeEach(async () => {
    server = new SyncServer({ logger: silentLogger, softwareVersion: '0.1.0' });
    port = await server.listen('127.0.0.1', 0);
  });
  afterEach(async () => {
    for (const d of dps.splice(0)) d.close();
    await server.close();
  });

  it('sends the newest snapshot on connect and records the ACK in dataPlanes()', async () => {
    const s = snap(3);
    server.publish(s);
    const d = dp().hello('dp-1');
    const [r] = await d.received(1);
    expect(r.version_info).toBe('3');
    expect(r.control_plane_version).toBe('0.1.0');
    expect(snapshotFromProto(r.snapshot!)).toEqual(s);
    d.ack(r);
    await until(() => server.dataPlanes()[0]?.sync_status === 'normal', 'the ACK');
    expect(server.dataPlanes()).toEqual([
      {
        id: 'dp-1', hostname: 'dp-1.local', ip: '127.0.0.1', zone: 'eu-west-1a', labels: { tier: 'edge' }, version: '0.1.0',
        sync_status: 'normal', config_version: 3, config_hash: s.hash, last_seen: expect.any(Number), last_error: null, connected: true,
      },
    ]);
  });

  it('sends nothing to a data plane that already serves the newest hash', async () => {
    const s = snap(5);
    server.publish(s);
    const d = dp().hello('dp-1', s);
    await until(() => server.dataPlanes()[0]?.sync_status === 'normal', 'the data plane');
    server.publish(s); // republishing the same snapshot is a no-op too
    await settle(server, port);
    expect(d.responses).toHaveLength(0);
  });

  it('gives every response a fresh nonce and sends newer snapshots after the ACK', async () => {
    server.publish(snap(1));
    const d = dp().hello('dp-1');
    const [first] = await d.received(1);
    d.ack(first);
    server.publish(snap(2));
    const [, second] = await d.received(2);
    expect(second.version_info).toBe('2');
    expect(second.nonce).not.toBe(first.nonce);
  });

  it('records a NACK, does not resend the rejected snapshot, and sends the next publish', async () => {
    server.publish(snap(1));
    const d = dp().hello('dp-1');
    const [r1] = await d.received(1);
    d.ack(r1);
    server.publish(snap(2));
    const [, r2] = await d.received(2);
    d.send({ version_info: '1', config_hash: snap(1).hash, response_nonce: r2.nonce, error_detail: { code: 3, message: 'route r1: bad regex' } });
    await until(() => server.dataPlanes()[0]?.sync_status === 'config_nack', 'the NACK');
    const status = server.dataPlanes()[0];
    expect(status.config_version).toBe(1);
    expect(status.config_hash).toBe(snap(1).hash);
    expect(status.last_error).toEqual({ code: 3, message: 'route r1: bad regex', config_version: 2, config_hash: snap(2).hash, at: expect.any(Number) });
    d.send({ version_info: '1', config_hash: snap(1).hash }); // the DP talks again: still no resend
    await settle(server, port);
    expect(d.responses).toHaveLength(2);
    server.publish(snap(3));
    const [, , r3] = await d.received(3);
    expect(r3.version_info).toBe('3');
    d.ack(r3);
    await until(() => server.dataPlanes()[0]?.sync_status === 'normal', 'the ACK of 3');
    expect(server.dataPlanes()[0].config_version).toBe(3);
  });

  it('ignores an ACK with a stale nonce', async () => {
    server.publish(snap(1));
    const d = dp().hello('dp-1');
    const [r1] = await d.received(1);
    d.send({ version_info: '1', response_nonce: 'not-the-nonce', config_hash: r1.snapshot!.hash });
    await settle(server, port);
    expect(server.dataPlanes().find((x) => x.id === 'dp-1')?.sync_status).toBe('unknown');
    expect(server.dataPlanes().find((x) => x.id === 'dp-1')?.config_version).toBeNull();
  });

  it('latest wins: publishes during an unacknowledged response collapse into the newest', async () => {
    server.publish(snap(1));
    const d = dp().hello('dp-1');
    const [r1] = await d.received(1);
    for (let v = 2; v <= 50; v++) server.publish(snap(v));
    await settle(server, port);
    expect(d.responses).toHaveLength(1); // nothing queued behind the outstanding response
    d.ack(r1);
    const [, next] = await d.received(2);
    expect(next.version_info).toBe('50');
    d.ack(next);
    await settle(server, port);
    expect(d.responses).toHaveLength(2);
  });

  it('ignores a snapshot older than the newest', async () => {
    server.publish(snap(7));
    server.publish(snap(6));
    expect(server.latest()?.version).toBe(7);
  });

  it('rejects a stream whose first message has no node identity', async () => {
    server.publish(snap(1));
    const d = dp();
    d.send({ version_info: '', config_hash: '' });
    const status = await d.ended();
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toMatch(/must carry node.id/);
    expect(d.responses).toHaveLength(0);
    expect(server.dataPlanes()).toEqual([]);
  });

  it('a reconnecting data plane replaces its old entry, and the old stream closing does not mark it down', async () => {
    const s = snap(1);
    server.publish(s);
    const old = dp().hello('dp-1', s);
    await until(() => server.dataPlanes().length === 1, 'the first stream');
    const fresh = dp().hello('dp-1', s, { node: { id: 'dp-1', hostname: 'new-host', zone: 'b', software_version: '0.2.0', labels: {} } });
    await until(() => server.dataPlanes()[0]?.hostname === 'new-host', 'the second stream');
    old.close();
    await settle(server, port);
    const entries = server.dataPlanes().filter((x) => x.id === 'dp-1');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ hostname: 'new-host', version: '0.2.0', connected: true, sync_status: 'normal' });
    fresh.close();
    await until(() => server.dataPlanes().find((x) => x.id === 'dp-1')?.connected === false, 'the disconnect');
  });

  it('ends open streams with UNAVAILABLE on close', async () => {
    const d = dp().hello('dp-1');
    await until(() => server.dataPlanes().length === 1, 'the stream');
    await server.close();
    const status = await d.ended();
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
    expect(status.details).toMatch(/shutting down/);
  });
});
