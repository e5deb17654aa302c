import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { serverNameOf } from './client-hello';

/** The first bytes a real node:tls client sends (its ClientHello). */
async function clientHello(servername: string | undefined): Promise<Buffer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const got = once(server, 'connection').then(async ([socket]) => {
    const [data] = await once(socket, 'data');
    socket.destroy();
    return data as Buffer;
  });
  const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername, rejectUnauthorized: false });
  client.on('error', () => undefined);
  const hello = await got;
  client.destroy();
  server.close();
  return hello;
}

describe('ClientHello server name', () => {
  it('reads the SNI host name from a real ClientHello', async () => {
    expect(serverNameOf(await clientHello('api.example.com'))).toBe('api.example.com');
  });

  it('asks for more bytes while the first record is incomplete', async () => {
    const hello = await clientHello('api.example.com');
    expect(serverNameOf(hello.subarray(0, 3))).toBeUndefined();
    expect(serverNameOf(hello.subarray(0, hello.length - 1))).toBeUndefined();
  });

  it('gives null for a client that sends no SNI (connecting by IP address)', async () => {
    expect(serverNameOf(await clientHello(undefined))).toBeNull();
  });

  it('gives null at once for bytes that are not TLS (plain HTTP on the TLS port)', () => {
    expect(serverNameOf(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBeNull();
  });

  it('gives null, never throws, for truncated or corrupted hellos', async () => {
    const hello = await clientHello('api.example.com');
    for (let cut = 5; cut < hello.length; cut += 7) {
      const broken = Buffer.from(hello);
      broken.writeUInt16BE(cut - 5, 3); // a record that claims to end early
      expect(() => serverNameOf(broken.subarray(0, cut))).not.toThrow();
    }
    const garbage = Buffer.from(hello);
    garbage.fill(0xff, 50);
    expect(serverNameOf(garbage)).toBeNull();
  });
});
