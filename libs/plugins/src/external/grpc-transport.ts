// The external plugin over gRPC: archway.plugin.v1.ExternalPlugin/Access (proto/archway/plugin/v1/
// external.proto, loaded once per process with @grpc/proto-loader), one client (one HTTP/2
// connection, multiplexed) per plugin instance, each call bounded by a deadline of `timeout`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ExternalPluginError, type AccessRequest } from './contract';
import type { ExternalTransport, TransportOptions } from './transport';

export const EXTERNAL_PROTO_FILE = 'archway/plugin/v1/external.proto';

type AccessCallback = (err: grpc.ServiceError | null, res?: unknown) => void;
interface ExternalPluginClient extends grpc.Client {
  Access(req: unknown, options: grpc.CallOptions, cb: AccessCallback): grpc.ClientUnaryCall;
}
type ClientConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => ExternalPluginClient;

/** The repo's proto/ directory, found by walking up from here (works from sources and from dist/). */
function findProtoRoot(start: string = __dirname): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'proto');
    if (fs.existsSync(path.join(candidate, EXTERNAL_PROTO_FILE))) return candidate;
    if (path.dirname(dir) === dir)
      throw Object.assign(new Error(`cannot find proto/${EXTERNAL_PROTO_FILE} above ${start}: ship the proto/ directory with the build`), {
        code: 'ARCHWAY_PROTO_NOT_FOUND',
      });
  }
}

let clientClass: ClientConstructor | null = null;

/** The generated client class, loaded on the first gRPC plugin instance. */
export function externalPluginClientClass(): ClientConstructor {
  if (!clientClass) {
    const def = protoLoader.loadSync(EXTERNAL_PROTO_FILE, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [findProtoRoot()] });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { archway: { plugin: { v1: { ExternalPlugin: ClientConstructor } } } };
    clientClass = pkg.archway.plugin.v1.ExternalPlugin;
  }
  return clientClass;
}

/** grpc(s)://host:port or http(s)://host:port -> the address and whether TLS is used. */
export function grpcTarget(url: string): { address: string; tls: boolean } {
  const u = new URL(url);
  const tls = u.protocol === 'grpcs:' || u.protocol === 'https:';
  return { address: `${u.hostname}:${u.port || (tls ? 443 : 80)}`, tls };
}

/** The message as proto3 has it: absent entities unset, absent strings empty. */
function toMessage(req: AccessRequest): unknown {
  const c = req.consumer;
  return {
    request: { ...req.request, body: req.request.body ?? Buffer.alloc(0) },
    consumer: c ? { id: c.id, username: c.username ?? '', custom_id: c.custom_id ?? '' } : null,
    route: req.route ? { id: req.route.id, name: req.route.name ?? '' } : null,
    service: req.service ? { id: req.service.id, name: req.service.name ?? '' } : null,
    client_ip: req.client_ip,
    request_id: req.request_id,
  };
}

function failure(err: grpc.ServiceError, closed: boolean): ExternalPluginError {
  if (err.code === grpc.status.DEADLINE_EXCEEDED)
    return new ExternalPluginError('ARCHWAY_EXTERNAL_TIMEOUT', 'the plugin service did not answer in time', { cause: err });
  if (closed) return new ExternalPluginError('ARCHWAY_EXTERNAL_CLOSED', 'the plugin instance was replaced by a newer configuration', { cause: err });
  if (err.code === grpc.status.UNAVAILABLE)
    return new ExternalPluginError('ARCHWAY_EXTERNAL_UNREACHABLE', `cannot reach the plugin service (${err.details})`, { cause: err });
  return new ExternalPluginError('ARCHWAY_EXTERNAL_BAD_STATUS', `the plugin service answered gRPC status ${grpc.status[err.code] ?? err.code}: ${err.details}`, { cause: err });
}

export class GrpcTransport implements ExternalTransport {
  readonly #client: ExternalPluginClient;
  readonly #timeout: number;
  #closed = false;

  constructor(opts: TransportOptions) {
    const Client = externalPluginClientClass();
    const { address, tls } = grpcTarget(opts.url);
    this.#timeout = opts.timeout;
    this.#client = new Client(address, tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure(), {
      // keepalive: how long the idle HTTP/2 connection stays open (gRPC's floor is 1 s)
      'grpc.client_idle_timeout_ms': Math.max(opts.keepalive, 1000),
    });
  }

  call(req: AccessRequest): Promise<unknown> {
    const options: grpc.CallOptions = this.#timeout > 0 ? { deadline: Date.now() + this.#timeout } : {};
    return new Promise((resolve, reject) => {
      this.#client.Access(toMessage(req), options, (err, res) => (err ? reject(failure(err, this.#closed)) : resolve(res)));
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#client.close();
    return Promise.resolve();
  }
}
