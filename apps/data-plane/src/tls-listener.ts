// The TLS proxy listener (Kong's `proxy_listen ... ssl`, 8443): HTTP/2 and HTTP/1.1 over TLS (ALPN),
// every request handed to the same handler as the plain listener. The certificate is chosen per
// connection by SNI from the running snapshot: a plain TCP listener reads the ClientHello's server
// name first (client-hello.ts), then hands the socket, bytes unread, to node's TLS server with that
// certificate's SecureContext as the server context, so every key type in it (cert and cert_alt) is
// offered and nothing of the default certificate leaks in. HTTP/2 requests are adapted once on entry.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type ServerHttp2Session } from 'node:http2';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Logger } from '@archway/telemetry';
import { MAX_HELLO_RECORD, serverNameOf } from './client-hello';
import type { ConfigStore } from './config-store';
import type { DownstreamLimits } from './downstream-limits';
import { defaultCertificates } from './self-signed';
import { applyHttp1Limits, Http2Limits, resolveLimits, stopHttp1Limits } from './tls-limits';

export interface TlsListenerOptions {
  host: string;
  port: number;
  store: ConfigStore;
  logger: Logger;
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  onClientError(err: NodeJS.ErrnoException, socket: Socket): void;
  onConnection(socket: Socket): void;
  /** the plain listener's header size, slow-client and keep-alive limits (Kong's defaults when absent) */
  limits?: Partial<DownstreamLimits>;
}

/** A client that has not finished its ClientHello after this long is dropped (slowloris); the headers timeout when shorter. */
const HELLO_TIMEOUT_MS = 10_000;

/** node:tls reads the server context from here for each connection it wraps (tlsConnectionListener). */
type TlsServerInternals = Http2SecureServer & { _sharedCreds: SecureContext };

/**
 * The node:http2 compat objects stand in for node:http's: the proxy uses only what both have (url,
 * method, headers, socket.remoteAddress/encrypted/servername; writeHead, write, end, headersSent,
 * destroy, 'drain'/'close'/'finish'). Host comes from `:authority`; HTTP/2 has no chunked coding, so a
 * body without Content-Length gets the marker that makes the proxy stream it (dropped upstream as a
 * hop-by-hop header).
 */
function adaptHttp2(req: Http2ServerRequest): void {
  const headers = req.headers;
  if (headers.host === undefined && headers[':authority'] !== undefined) headers.host = headers[':authority'];
  if (!req.stream.endAfterHeaders && headers['content-length'] === undefined) headers['transfer-encoding'] = 'chunked';
}

export class TlsListener {
  /** node's TLS + HTTP/2 server; it never listens itself, the front listener feeds it sockets */
  readonly server: Http2SecureServer;
  readonly #front: Server;
  readonly #opts: TlsListenerOptions;
  readonly #builtIn: SecureContext;
  readonly #sessions = new Set<ServerHttp2Session>();
  readonly #sockets = new Set<Socket>();
  readonly #helloTimeoutMs: number;

  constructor(opts: TlsListenerOptions) {
    this.#opts = opts;
    const builtIn = defaultCertificates();
    const pems = { cert: builtIn.map((p) => p.cert), key: builtIn.map((p) => p.key) };
    this.#builtIn = createSecureContext(pems);
    const limits = resolveLimits(opts.limits);
    const h2Limits = new Http2Limits(limits);
    // nginx bounds the TLS handshake by client_header_timeout too
    const headersTimeout = limits.headersTimeoutMs > 0 ? limits.headersTimeoutMs : undefined;
    this.#helloTimeoutMs = Math.min(HELLO_TIMEOUT_MS, headersTimeout ?? HELLO_TIMEOUT_MS);
    this.server = createSecureServer({ allowHTTP1: true, ...pems, handshakeTimeout: headersTimeout, settings: h2Limits.settings }, (req, res) => {
      if (req.httpVersionMajor === 2) {
        adaptHttp2(req);
        if (!h2Limits.admit(req, res)) return;
      }
      opts.onRequest(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    });
    const creds = (this.server as Partial<TlsServerInternals>)._sharedCreds;
    if (typeof creds !== 'object' || creds === null)
      throw new Error('this Node.js version does not expose the TLS server context the listener needs');
    applyHttp1Limits(this.server, limits);
    this.server.on('session', (session: ServerHttp2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      h2Limits.watch(session);
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => opts.onUpgrade(req, socket, head));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => opts.onClientError(err, socket));
    this.server.on('tlsClientError', (err: NodeJS.ErrnoException) => opts.logger.debug('TLS handshake failed', { code: err.code, err }));
    this.#front = createServer((socket) => this.#accept(socket));
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#front.once('error', reject);
      this.#front.listen(this.#opts.port, this.#opts.host, () => {
        this.#front.off('error', reject);
        resolve((this.#front.address() as AddressInfo).port);
      });
    });
  }

  get listening(): boolean {
    return this.#front.listening;
  }

  /** Stops accepting; HTTP/2 sessions get a GOAWAY and close once their streams are done. */
  stopAccepting(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#front.close(() => resolve()));
    for (const session of this.#sessions) session.close();
    return closed;
  }

  /** Cuts every connection still open (after the grace period). */
  destroyAll(): void {
    for (const session of this.#sessions) session.destroy();
    for (const socket of this.#sockets) socket.destroy();
    stopHttp1Limits(this.server);
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    this.#opts.onConnection(socket);
    socket.on('error', () => socket.destroy());
    socket.setTimeout(this.#helloTimeoutMs, () => socket.destroy());
    let buffered: Buffer | null = null;
    const onData = (chunk: Buffer) => {
      const buf: Buffer = buffered === null ? chunk : Buffer.concat([buffered, chunk]);
      const name = serverNameOf(buf);
      if (name === undefined && buf.length < MAX_HELLO_RECORD) {
        buffered = buf;
        return;
      }
      socket.off('data', onData);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(buf); // node:tls feeds bytes already read to the handshake (initRead)
      this.#handOver(socket, name ?? null);
    };
    socket.on('data', onData);
  }

  /** Wraps the socket in node's TLS server with the certificate for `servername` (null: no SNI). */
  #handOver(socket: Socket, servername: string | null): void {
    const certificates = this.#opts.store.runtime?.tls.certificates;
    // a client without SNI gets the `*` certificate, as in Kong; nothing configured: the built-in one
    const entry = certificates ? certificates.lookup(servername ?? '') : null;
    const server = this.server as TlsServerInternals;
    server._sharedCreds = entry ? entry.context : this.#builtIn;
    server.emit('connection', socket);
  }
}
