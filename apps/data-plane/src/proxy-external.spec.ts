// The external plugin through the real proxy, against the example plugin service
// (examples/external-plugin/server.js) started as a real process, over HTTP and over gRPC.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { closedPort, send } from './testing/fixtures';
import { startPluginProxy, type PluginProxy } from './testing/plugin-proxy';

const EXAMPLE = join(__dirname, '..', '..', '..', 'examples', 'external-plugin', 'server.js');

/** Starts the example service on free ports; resolves once it printed them. */
async function startExample(): Promise<{ child: ChildProcess; http: number; grpc: number }> {
  const child = spawn(process.execPath, [EXAMPLE], { env: { ...process.env, HTTP_PORT: '0', GRPC_PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const ports = JSON.parse(line) as { http: number; grpc: number };
  return { child, ...ports };
}

describe('external plugin through the proxy, against the example plugin service', () => {
  let example: { child: ChildProcess; http: number; grpc: number };
  let px: PluginProxy;

  beforeAll(async () => {
    example = await startExample();
  });
  afterAll(async () => {
    example.child.kill('SIGTERM');
    await once(example.child, 'exit');
  });
  beforeEach(async () => {
    px = await startPluginProxy();
  });
  afterEach(async () => {
    await px.close();
  });

  const applyExternal = (config: Record<string, unknown>) =>
    px.apply([{ name: 'external', config: { headers: ['x-tenant', 'x-plugin-delay'], ...config } }]);

  const transports = [
    ['http', () => ({ url: `http://127.0.0.1:${example.http}/access`, protocol: 'http' })],
    ['grpc', () => ({ url: `grpc://127.0.0.1:${example.grpc}`, protocol: 'grpc' })],
  ] as const;

  describe.each(transports)('over %s', (_name, target) => {
    it('continues with the upstream headers the service set and removed', async () => {
      await applyExternal(target());
      const res = await send(px.port, { path: '/p', headers: { 'x-tenant': 'acme', 'x-debug': 'on' } });
      expect(res.status).toBe(200);
      expect(px.upstream.seen[0].headers['x-tenant-checked']).toBe('1');
      expect(px.upstream.seen[0].headers['x-tenant']).toBe('acme');
      expect(px.upstream.seen[0].headers).not.toHaveProperty('x-debug');
    });

    it("answers with the service's exit (401 and its body) without reaching the upstream", async () => {
      await applyExternal(target());
      const res = await send(px.port, { path: '/p' });
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toBe('application/json');
      expect(JSON.parse(res.body)).toEqual({ message: 'x-tenant header required' });
      expect(px.upstream.seen).toHaveLength(0);
    });

    it('continues untouched when the service times out and fail_open is true, and logs a warning', async () => {
      await applyExternal({ ...target(), timeout: 150, fail_open: true });
      const res = await send(px.port, { path: '/p', headers: { 'x-tenant': 'acme', 'x-plugin-delay': '2000' } });
      expect(res.status).toBe(200);
      expect(px.upstream.seen[0].headers).not.toHaveProperty('x-tenant-checked');
      expect(px.logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', code: 'ARCHWAY_EXTERNAL_TIMEOUT', request_id: res.headers['x-archway-request-id'] }));
    });

    it("answers Kong's 500 when the service times out and fail_open is false", async () => {
      await applyExternal({ ...target(), timeout: 150 });
      const res = await send(px.port, { path: '/p', headers: { 'x-tenant': 'acme', 'x-plugin-delay': '2000' } });
      expect(res.status).toBe(500);
      expect(JSON.parse(res.body)).toEqual({ message: 'An unexpected error occurred', request_id: res.headers['x-archway-request-id'] });
      expect(px.upstream.seen).toHaveLength(0);
    });
  });

  describe.each(['http', 'grpc'] as const)('with the service down (%s)', (protocol) => {
    let down: string;
    beforeEach(async () => {
      down = `${protocol}://127.0.0.1:${await closedPort()}`;
    });

    it("answers Kong's 500 when fail_open is false", async () => {
      await applyExternal({ url: down, protocol });
      const res = await send(px.port, { path: '/p', headers: { 'x-tenant': 'acme' } });
      expect(res.status).toBe(500);
      expect(px.upstream.seen).toHaveLength(0);
      expect(px.logger.lines).toContainEqual(expect.objectContaining({ level: 'error', code: 'ARCHWAY_EXTERNAL_UNREACHABLE' }));
    });

    it('proxies as if the plugin were absent when fail_open is true', async () => {
      await applyExternal({ url: down, protocol, fail_open: true });
      const res = await send(px.port, { path: '/p', headers: { 'x-tenant': 'acme' } });
      expect(res.status).toBe(200);
      expect(px.upstream.seen[0].headers).not.toHaveProperty('x-tenant-checked');
    });
  });
});
