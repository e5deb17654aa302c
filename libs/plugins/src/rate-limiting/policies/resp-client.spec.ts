// The minimal Redis client against the machine's real Redis, and against small fake servers for the
// failure cases (silence, dropped connections).
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { RespClient, type RedisOptions } from './resp-client';
import { encodeCommand, RespParser, RespReplyError } from './resp-parser';

const REDIS_PORT = Number(process.env.ARCHWAY_TEST_REDIS_PORT ?? 6379);
const base: RedisOptions = { host: '127.0.0.1', port: REDIS_PORT, timeout: 2000, username: null, password: null, database: 0, ssl: false, sslVerify: false, serverName: null };

const clients: RespClient[] = [];
const servers: Server[] = [];
const sockets: Socket[] = [];
function client(opts: Partial<RedisOptions> = {}): RespClient {
  const c = new RespClient({ ...base, ...opts });
  clients.push(c);
  return c;
}
async function fakeServer(onConnection: (socket: Socket, n: number) => void): Promise<number> {
  let n = 0;
  const server = createServer((s) => {
    sockets.push(s);
    onConnection(s, n++);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  sockets.splice(0).forEach((s) => s.destroy());
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('RespParser', () => {
  it('yields whole replies from bytes split anywhere, in order', () => {
    const wire = Buffer.from('+OK\r\n:42\r\n$4\r\nhé!\r\n$-1\r\n*2\r\n:1\r\n*1\r\n$1\r\nx\r\n-ERR nope\r\n');
    const p = new RespParser();
    const out = [];
    for (const byte of wire) out.push(...p.push(Buffer.from([byte])));
    expect(out).toEqual(['OK', 42, 'hé!', null, [1, ['x']], new RespReplyError('ERR nope')]);
  });

  it('encodes commands as arrays of bulk strings, counting bytes', () => {
    expect(encodeCommand(['SET', 'k', 'é', 7])).toBe('*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n$1\r\n7\r\n');
  });
});

describe('RespClient', () => {
  it('pipelines commands and matches replies in order', async () => {
    const c = client();
    const key = `archway-spec:${process.pid}:${Date.now()}`;
    const replies = await Promise.all([c.command(['DEL', key]), c.command(['INCR', key]), c.command(['INCR', key]), c.command(['GET', key]), c.command(['DEL', key])]);
    expect(replies).toEqual([0, 1, 2, '2', 1]);
  });

  it('selects the configured database on connecting', async () => {
    const key = `archway-spec-db:${process.pid}:${Date.now()}`;
    const db1 = client({ database: 1 });
    await db1.command(['SET', key, 'in-1', 'EX', 10]);
    expect(await client().command(['GET', key])).toBeNull();
    expect(await db1.command(['GET', key])).toBe('in-1');
  });

  it('rejects with ARCHWAY_REDIS_REPLY for an error reply and keeps the connection', async () => {
    const c = client();
    await expect(c.command(['NOSUCHCOMMAND'])).rejects.toMatchObject({ code: 'ARCHWAY_REDIS_REPLY' });
    expect(await c.command(['PING'])).toBe('PONG');
  });

  it('sends AUTH first and fails the commands behind it when AUTH is refused', async () => {
    const port = await fakeServer((s) => s.on('data', () => s.write('-WRONGPASS invalid username-password pair\r\n+PONG\r\n')));
    await expect(client({ port, username: 'u', password: 'p' }).command(['PING'])).rejects.toMatchObject({ code: 'ARCHWAY_REDIS_REPLY', message: expect.stringContaining('AUTH') });
  });

  it('fails fast with ARCHWAY_REDIS_UNAVAILABLE while nothing listens', async () => {
    const port = await fakeServer(() => undefined);
    const server = servers.pop() as Server;
    await new Promise((r) => server.close(r));
    const c = client({ port });
    await expect(c.command(['PING'])).rejects.toMatchObject({ code: 'ARCHWAY_REDIS_UNAVAILABLE' });
    await expect(c.command(['PING'])).rejects.toMatchObject({ code: 'ARCHWAY_REDIS_UNAVAILABLE' });
  });

  it('times a silent server out with ARCHWAY_REDIS_TIMEOUT, then reconnects and works again', async () => {
    const port = await fakeServer((s, n) => {
      // the first connection never answers; later ones answer PONG to each command
      if (n > 0) s.on('data', (d) => s.write('+PONG\r\n'.repeat(d.toString().split('*').length - 1)));
    });
    const c = client({ port, timeout: 100 });
    await expect(c.command(['PING'])).rejects.toMatchObject({ code: 'ARCHWAY_REDIS_TIMEOUT' });
    let reply: unknown = null;
    for (let i = 0; i < 100 && reply !== 'PONG'; i++) {
      reply = await c.command(['PING']).catch(() => null);
      if (reply !== 'PONG') await new Promise((r) => setTimeout(r, 20));
    }
    expect(reply).toBe('PONG');
  });

  it('rejects pending commands with ARCHWAY_REDIS_CLOSED on close', async () => {
    const port = await fakeServer(() => undefined);
    const c = client({ port });
    const pending = c.command(['PING']);
    c.close();
    await expect(pending).rejects.toMatchObject({ code: 'ARCHWAY_REDIS_CLOSED' });
    await expect(c.command(['PING'])).rejects.toMatchObject({ code: 'ARCHWAY_REDIS_CLOSED' });
  });
});
