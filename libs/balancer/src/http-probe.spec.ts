import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpProbe } from './http-probe';
import type { ProbeRequest } from './types';

const base = (port: number, fields: Partial<ProbeRequest> = {}): ProbeRequest => ({
  type: 'http',
  host: '127.0.0.1',
  port,
  hostHeader: 'api.internal',
  path: '/status',
  timeoutMs: 500,
  headers: { 'x-probe': ['a', 'b'] },
  sni: null,
  verifyCertificate: true,
  ...fields,
});

describe('the default probe', () => {
  let server: Server;
  let port: number;
  const seen: { url?: string; host?: string; probe?: string | string[] }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url, host: req.headers.host, probe: req.headers['x-probe'] });
      if (req.url === '/slow') return; // never answers
      res.statusCode = req.url === '/status' ? 204 : 503;
      res.end('body');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends the configured path, Host and headers and returns the status', async () => {
    expect(await httpProbe(base(port))).toEqual({ status: 204 });
    expect(seen[0]).toEqual({ url: '/status', host: 'api.internal', probe: 'a, b' });
    expect(await httpProbe(base(port, { path: '/other' }))).toEqual({ status: 503 });
  });

  it('reports a refused connection as a tcp failure', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await httpProbe(base(freePort))).toEqual({ tcpError: true });
    expect(await httpProbe(base(freePort, { type: 'tcp' }))).toEqual({ tcpError: true });
  });

  it('reports a server that does not answer within the timeout as a timeout', async () => {
    expect(await httpProbe(base(port, { path: '/slow', timeoutMs: 100 }))).toEqual({ timeout: true });
  });

  it('counts an open connection as success for tcp checks', async () => {
    expect(await httpProbe(base(port, { type: 'tcp' }))).toEqual({ connected: true });
  });
});
