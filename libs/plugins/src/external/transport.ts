// What the external plugin's handler needs from a transport (HTTP or gRPC): one call per request,
// answering the raw answer (checked by contract.ts) or throwing an ExternalPluginError.
import type { AccessRequest } from './contract';

export interface TransportOptions {
  url: string;
  /** ms for the whole call; 0 = no limit */
  timeout: number;
  /** ms an idle connection is kept */
  keepalive: number;
}

export interface ExternalTransport {
  call(req: AccessRequest): Promise<unknown>;
  /** stops new calls; calls in flight finish */
  close(): Promise<void>;
}
