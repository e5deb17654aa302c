// The status listener (Kong's status_listen): GET /status for operators, GET /status/ready for
// orchestrators (200 only once a configuration is loaded, so traffic never reaches an empty node),
// GET /metrics for Prometheus (text format 0.0.4; summed over the proxy workers when there are several).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROMETHEUS_CONTENT_TYPE, type Logger } from '@archway/telemetry';
import type { ProxyStats } from './proxy-server';
import { SERVER_HEADER } from './gateway-response';

export interface StatusSource {
  nodeId: string;
  zone: string;
  config(): { version: number; hash: string } | null;
  controlPlane(): { state: string; address: string | null };
  /** the proxy's counters (a promise when the workers are asked over IPC) */
  proxy(): ProxyStats | Promise<ProxyStats>;
  /** GET /upstreams/{name or id}/health: Kong's body, or null for an unknown upstream (404) */
  upstreamHealth?(key: string, balancerHealth: boolean): unknown;
  /** true once a graceful shutdown began: /status/ready answers 503 so load balancers stop sending */
  draining?(): boolean;
  /** GET /metrics: the exposition text (a promise when the workers are asked over IPC) */
  metrics?(): string | Promise<string>;
}

/** `/upstreams/{key}/health` -> the decoded key, else null */
function upstreamHealthKey(path: string): string | null {
  const m = /^\/upstreams\/([^/]+)\/health\/?$/.exec(path);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

export interface StatusServerOptions {
  host: string;
  port: number;
  source: StatusSource;
  logger: Logger;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    Server: SERVER_HEADER,
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

export class StatusServer {
  readonly server: Server;
  readonly #opts: StatusServerOptions;

  constructor(opts: StatusServerOptions) {
    this.#opts = opts;
    this.server = createServer((req, res) => this.#handle(req, res));
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.#opts.port, this.#opts.host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const upstreamKey = path.startsWith('/upstreams/') ? upstreamHealthKey(path) : null;
    if (upstreamKey !== null) return this.#upstreamHealth(req, res, upstreamKey, q === -1 ? '' : url.slice(q + 1));
    if (path === '/metrics' && this.#opts.source.metrics) return this.#metrics(req, res);
    if (path !== '/status' && path !== '/status/ready') return send(res, 404, { message: 'Not found' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { message: 'Method not allowed' });
    const src = this.#opts.source;
    const config = src.config();
    if (path === '/status/ready') {
      if (src.draining?.()) return send(res, 503, { message: 'draining' });
      return config
        ? send(res, 200, { message: 'ready' })
        : send(res, 503, { message: 'no configuration loaded' });
    }
    const body = {
      config_version: config?.version ?? null,
      configuration_hash: config?.hash ?? null,
      control_plane: src.controlPlane(),
      node_id: src.nodeId,
      zone: src.zone,
    };
    Promise.resolve(src.proxy()).then(
      (server) => send(res, 200, { ...body, server }),
      (err: unknown) => {
        this.#opts.logger.warn('cannot read the proxy counters', { err });
        send(res, 200, { ...body, server: null });
      },
    );
  }

  #metrics(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { message: 'Method not allowed' });
    const src = this.#opts.source;
    let text: string | Promise<string>;
    try {
      text = src.metrics ? src.metrics() : '';
    } catch (err) {
      text = Promise.reject(err);
    }
    Promise.resolve(text).then(
      (body) => {
        res.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body), Server: SERVER_HEADER });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        this.#opts.logger.error('cannot collect the metrics', { err });
        send(res, 500, { message: 'An unexpected error occurred' });
      },
    );
  }

  #upstreamHealth(req: IncomingMessage, res: ServerResponse, key: string, query: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { message: 'Method not allowed' });
    const balancerHealth = new URLSearchParams(query).get('balancer_health') === '1';
    // with proxy workers the answer comes from a worker over IPC
    Promise.resolve(this.#opts.source.upstreamHealth?.(key, balancerHealth) ?? null).then(
      (body) => (body === null ? send(res, 404, { message: 'Not found' }) : send(res, 200, body)),
      (err: unknown) => {
        this.#opts.logger.warn('cannot read upstream health', { err });
        send(res, 500, { message: 'An unexpected error occurred' });
      },
    );
  }
}
