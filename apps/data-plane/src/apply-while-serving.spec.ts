// A large snapshot is checked and compiled in time slices: requests that arrive meanwhile are answered
// on the config being served, before the new one is swapped in; the slices wait for the requests the
// proxy has in flight (serving-load.ts). Order of events only, no timings.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Route } from '@archway/schema';
import { ConfigStore } from './config-store';
import { ProxyServer } from './proxy-server';
import { requestsInFlight } from './serving-load';
import { makeRoute, makeService, memoryLogger, send, snapshotOf, startUpstream, waitUntil, type Upstream } from './testing/fixtures';

describe('applying a large snapshot while serving', () => {
  let prefix: string;
  let store: ConfigStore;
  let proxy: ProxyServer;
  let port: number;
  let upstream: Upstream;

  beforeAll(async () => {
    prefix = await mkdtemp(join(tmpdir(), 'archway-apply-'));
    store = new ConfigStore({ prefix, logger: memoryLogger() });
    proxy = new ProxyServer({ host: '127.0.0.1', port: 0, store, logger: memoryLogger() });
    port = await proxy.listen();
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await proxy.close(0);
    await store.close(0);
    await upstream.close();
    await rm(prefix, { recursive: true, force: true });
  });

  it('answers a request made while a 5,000-route snapshot is applied, on the old config, before the apply finishes', async () => {
    const svc = makeService({ port: upstream.port });
    await store.apply(snapshotOf(1, [svc], [makeRoute(svc, { paths: ['/old'] })]));
    const routes: Route[] = [makeRoute(svc, { paths: ['/new'] })];
    for (let i = 0; i < 5_000; i++) routes.push(makeRoute(svc, { hosts: [`h${i}.example.com`], paths: [`/r${i}`] }));
    const big = snapshotOf(2, [svc], routes);

    const events: string[] = [];
    const applied = store.apply(big).then(() => events.push('applied'));
    const answered = send(port, { path: '/old/x' }).then((res) => events.push(`answered ${res.status} on v${store.current()?.version}`));
    await Promise.all([applied, answered]);

    expect(events).toEqual(['answered 200 on v1', 'applied']);
    expect((await send(port, { path: '/new' })).status).toBe(200);
    expect((await send(port, { path: '/old/x' })).status).toBe(404);
  }, 60_000);

  it('counts a request as in flight, which apply slices wait for, from its arrival until its response is sent', async () => {
    let release = (): void => undefined;
    let arrived = (): void => undefined;
    const upstreamHasIt = new Promise<void>((resolve) => (arrived = resolve));
    const held = await startUpstream((_req, res) => {
      release = () => res.end('late');
      arrived();
    });
    try {
      const svc = makeService({ port: held.port });
      await store.apply(snapshotOf(3, [svc], [makeRoute(svc, { paths: ['/held'] })]));
      await waitUntil(() => requestsInFlight() === 0, 'the earlier tests\' responses to be counted as sent');
      const answer = send(port, { path: '/held' });
      await upstreamHasIt;
      expect(requestsInFlight()).toBe(1);
      release();
      expect((await answer).status).toBe(200);
      await waitUntil(() => requestsInFlight() === 0, 'the response to be counted as sent');
    } finally {
      await held.close();
    }
  }, 30_000);
});
