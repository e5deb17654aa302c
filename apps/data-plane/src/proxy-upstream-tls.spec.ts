// HTTPS upstreams through the real proxy: Kong's default (no verification), tls_verify with the
// service's ca_certificates, a failing verification as 502, tls_verify_depth, and a client certificate
// presented to an upstream that requires one.
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CaCertificate, Certificate } from '@archway/schema';
import { makeRoute, makeService, send } from './testing/fixtures';
import { startProxy, type TestProxy } from './testing/test-proxy';
import { caEntity, certificateEntity, makeCa, makeLeaf, type Pem } from './testing/tls-fixtures';

describe('HTTPS upstreams', () => {
  let ca: Pem;
  let otherCa: Pem;
  let serverCert: Pem;
  let clientCa: Pem;
  let clientCert: Pem;
  let px: TestProxy;
  let port: number;
  let upstream: Server;
  let upstreamPort: number;

  beforeAll(() => {
    ca = makeCa('Upstream CA');
    otherCa = makeCa('Unrelated CA');
    serverCert = makeLeaf('upstream.test', { ca, sans: ['DNS:upstream.test', 'IP:127.0.0.1'] });
    clientCa = makeCa('Client CA');
    clientCert = makeLeaf('archway-client', { ca: clientCa, sans: ['DNS:archway-client'] });
  });

  async function startUpstream(requireClientCert: boolean) {
    upstream = createServer(
      { ...serverCert, requestCert: requireClientCert, rejectUnauthorized: requireClientCert, ca: [clientCa.cert] },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ client: peer?.subject?.CN ?? null }));
      },
    );
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    upstreamPort = (upstream.address() as AddressInfo).port;
  }

  beforeEach(async () => {
    px = await startProxy();
    ({ port } = px);
  });
  afterEach(async () => {
    await px.close();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });

  async function apply(service: Record<string, unknown>, extra: { cas?: CaCertificate[]; certs?: Certificate[] } = {}) {
    const svc = makeService({ protocol: 'https', port: upstreamPort, ...service });
    await px.apply({
      services: [svc],
      routes: [makeRoute(svc, { paths: ['/tls'] })],
      ca_certificates: extra.cas ?? [],
      certificates: extra.certs ?? [],
    });
  }

  it("proxies to a self-signed upstream when tls_verify is unset (Kong's default: no verification)", async () => {
    await startUpstream(false);
    await apply({});
    expect((await send(port, { path: '/tls' })).status).toBe(200);
  });

  it("verifies the upstream against the service's ca_certificates when tls_verify is true", async () => {
    await startUpstream(false);
    const trusted = caEntity(ca);
    await apply({ tls_verify: true, ca_certificates: [trusted.id] }, { cas: [trusted] });
    expect((await send(port, { path: '/tls' })).status).toBe(200);
  });

  it('answers 502 when the upstream certificate does not verify against the configured CAs', async () => {
    await startUpstream(false);
    const unrelated = caEntity(otherCa);
    await apply({ tls_verify: true, ca_certificates: [unrelated.id], retries: 0 }, { cas: [unrelated] });
    const res = await send(port, { path: '/tls' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body).message).toBe('An invalid response was received from the upstream server');
  });

  it('answers 502 with tls_verify and no ca_certificates: the system CAs do not know a private CA', async () => {
    await startUpstream(false);
    await apply({ tls_verify: true, retries: 0 });
    expect((await send(port, { path: '/tls' })).status).toBe(502);
  });

  it('enforces tls_verify_depth: a leaf signed by a CA needs depth 1', async () => {
    await startUpstream(false);
    const trusted = caEntity(ca);
    await apply({ tls_verify: true, tls_verify_depth: 0, ca_certificates: [trusted.id], retries: 0 }, { cas: [trusted] });
    expect((await send(port, { path: '/tls' })).status).toBe(502);
    await apply({ tls_verify: true, tls_verify_depth: 1, ca_certificates: [trusted.id] }, { cas: [trusted] });
    expect((await send(port, { path: '/tls' })).status).toBe(200);
  });

  it("presents the service's client_certificate to an upstream that requires one", async () => {
    await startUpstream(true);
    const client = certificateEntity(clientCert);
    await apply({ client_certificate: { id: client.id } }, { certs: [client] });
    const res = await send(port, { path: '/tls' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ client: 'archway-client' });
  });

  it('answers 502 when the upstream requires a client certificate and the service has none', async () => {
    await startUpstream(true);
    await apply({ retries: 0 });
    expect((await send(port, { path: '/tls' })).status).toBe(502);
  });
});
