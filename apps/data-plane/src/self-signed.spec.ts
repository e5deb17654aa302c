import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { selfSignedCertificate } from './self-signed';

describe('built-in default certificate', () => {
  it.each(['rsa', 'ec'] as const)('is a valid self-signed %s certificate for CN=localhost that openssl parses', (kind) => {
    const pair = selfSignedCertificate(kind);
    const x = new X509Certificate(pair.cert);
    expect(x.subject).toContain('CN=localhost');
    expect(x.subjectAltName).toBe('DNS:localhost');
    expect(x.ca).toBe(false);
    expect(x.checkPrivateKey(createPrivateKey(pair.key))).toBe(true);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(new Date(x.validTo).getTime()).toBeGreaterThan(Date.now() + 365 * 86_400_000);
    const text = execFileSync('openssl', ['x509', '-noout', '-subject'], { input: pair.cert }).toString();
    expect(text).toMatch(/CN ?= ?localhost/);
  });

  it('completes a TLS handshake that verifies against itself', async () => {
    const pair = selfSignedCertificate('ec');
    const server = createServer({ cert: pair.cert, key: pair.key }, (s) => s.end('hi'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', servername: 'localhost', ca: pair.cert });
    const [data] = await once(socket, 'data');
    expect(String(data)).toBe('hi');
    expect(socket.authorized).toBe(true);
    socket.destroy();
    server.close();
  });
});
