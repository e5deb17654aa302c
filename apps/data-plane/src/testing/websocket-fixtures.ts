// Spec helpers: the smallest WebSocket (RFC 6455) server and client that can prove a proxy relays a
// handshake and frames both ways. Text frames under 126 bytes only; no fragmentation, no extensions.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export function frame(text: string, masked: boolean): Buffer {
  const payload = Buffer.from(text);
  const head = Buffer.from([0x81, (masked ? 0x80 : 0) | payload.length]);
  if (!masked) return Buffer.concat([head, payload]);
  const mask = randomBytes(4);
  return Buffer.concat([head, mask, payload.map((b, i) => b ^ mask[i % 4])]);
}

/** Reads one text frame from `buf`; null while incomplete. */
export function readFrame(buf: Buffer): { text: string; rest: Buffer } | null {
  if (buf.length < 2) return null;
  const masked = (buf[1] & 0x80) !== 0;
  const len = buf[1] & 0x7f;
  const start = 2 + (masked ? 4 : 0);
  if (buf.length < start + len) return null;
  let payload = buf.subarray(start, start + len);
  if (masked) {
    const mask = buf.subarray(2, 6);
    payload = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  }
  return { text: payload.toString(), rest: buf.subarray(start + len) };
}

export interface EchoServer {
  port: number;
  /** handshake request headers the upstream saw */
  handshakes: IncomingHttpHeaders[];
  /** plain (non-upgrade) requests it answered 403 */
  readonly plainRequests: number;
  close(): Promise<void>;
}

/** Upgrades GET /… with a valid key and echoes every text frame back prefixed with "echo: ". */
export async function startEchoServer(): Promise<EchoServer> {
  const handshakes: IncomingHttpHeaders[] = [];
  const sockets = new Set<Duplex>();
  const echo = { plainRequests: 0 };
  const server: Server = createServer((_req, res) => {
    echo.plainRequests++;
    res.writeHead(403).end('no upgrade');
  });
  server.on('upgrade', (req, socket: Duplex) => {
    handshakes.push(req.headers);
    if (req.headers['x-refuse'] === 'yes') {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 7\r\n\r\nrefused');
      return;
    }
    sockets.add(socket);
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
        `sec-websocket-accept: ${acceptKey(String(req.headers['sec-websocket-key']))}\r\n\r\n`,
    );
    let buf: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (let f = readFrame(buf); f; f = readFrame(buf)) {
        buf = f.rest;
        socket.write(frame(`echo: ${f.text}`, false));
      }
    });
    socket.on('error', () => socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    handshakes,
    get plainRequests() {
      return echo.plainRequests;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface WsClient {
  /** the Sec-WebSocket-Key the client sent */
  key: string;
  status: number;
  /** the response head, lower-cased header names */
  headers: Record<string, string>;
  /** the body of a non-101 answer */
  body: string;
  send(text: string): void;
  next(): Promise<string>;
  close(): void;
  /** settles when the connection is gone, whoever closed it */
  closed: Promise<void>;
}

/** Opens a websocket through `port` (TLS when `tls` names the SNI) and parses the handshake answer. */
export function openWebSocket(port: number, path: string, opts: { headers?: Record<string, string>; tls?: string } = {}): Promise<WsClient> {
  const key = randomBytes(16).toString('base64');
  const socket: Socket = opts.tls
    ? tlsConnect({ host: '127.0.0.1', port, servername: opts.tls, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] })
    : netConnect({ host: '127.0.0.1', port });
  const extra = Object.entries(opts.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
  );
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const waiting: ((text: string) => void)[] = [];
    let client: WsClient | null = null;
    socket.on('error', reject);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!client) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const lines = buf.subarray(0, end).toString().split('\r\n');
        const status = Number(lines[0].split(' ')[1]);
        const headers = Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        buf = buf.subarray(end + 4);
        client = {
          key,
          status,
          headers,
          body: '',
          send: (text) => socket.write(frame(text, true)),
          next: () => new Promise((r) => waiting.push(r)),
          close: () => socket.destroy(),
          closed,
        };
        if (status !== 101) {
          socket.on('end', () => resolve({ ...(client as WsClient), body: buf.toString() }));
          return;
        }
        resolve(client);
      }
      if (client.status !== 101) return;
      for (let f = readFrame(buf); f && waiting.length > 0; f = readFrame(buf)) {
        buf = f.rest;
        (waiting.shift() as (t: string) => void)(f.text);
      }
    });
  });
}
