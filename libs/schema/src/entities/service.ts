// The services entity (kong/db/schema/entities/services.lua).
import type { EntitySchema } from '../entity';
import { host, id, port, protocols, tags, timeout, timestamp, utf8Name } from './typedefs';

const pathDef = {
  type: 'string' as const,
  check: (v: string) => (v.startsWith('/') ? null : 'should start with: /'),
};

export const serviceSchema: EntitySchema = {
  name: 'services',
  endpointKey: 'name',
  fields: {
    id,
    created_at: timestamp,
    updated_at: timestamp,
    name: utf8Name,
    retries: { type: 'integer', default: 5, between: [0, 32767] },
    protocol: { type: 'string', required: true, default: 'http', oneOf: protocols },
    host: { ...host, required: true },
    port: { ...port, required: true, default: 80 },
    path: pathDef,
    connect_timeout: { ...timeout, default: 60000 },
    write_timeout: { ...timeout, default: 60000 },
    read_timeout: { ...timeout, default: 60000 },
    tags,
    client_certificate: { type: 'foreign', reference: 'certificates' },
    tls_verify: { type: 'boolean' },
    tls_verify_depth: { type: 'integer', between: [0, 64] },
    ca_certificates: { type: 'array', elements: { type: 'string', uuid: true } },
    enabled: { type: 'boolean', required: true, default: true },
  },
  shorthands: { url: expandUrl },
  check(service) {
    const proto = service.protocol as string;
    const streamish = !['http', 'https', 'grpc', 'grpcs', 'ws', 'wss'].includes(proto);
    if (service.path !== null && (streamish || proto === 'grpc' || proto === 'grpcs'))
      return { path: `value must be null when 'protocol' is '${proto}'` };
    return null;
  },
};

/** Kong's write-only `url` shorthand: scheme -> protocol, host, port (by scheme), path (null when absent). */
function expandUrl(value: unknown): Record<string, unknown> | { error: string } {
  if (typeof value !== 'string') return { error: 'expected a string' };
  const m = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\[[^\]]+\]|[^:/?#]+)(?::(\d+))?(\/[^?#]*)?$/i.exec(value);
  if (!m) return { error: 'missing host in url' };
  const [, scheme, hostPart, portPart, path] = m;
  let protocol = scheme?.toLowerCase();
  if (!protocol) protocol = portPart === '443' ? 'https' : 'http';
  const defaultPort = protocol === 'https' || protocol === 'grpcs' || protocol === 'tls' || protocol === 'wss' ? 443 : 80;
  return {
    protocol,
    host: hostPart,
    port: portPart !== undefined ? Number(portPart) : defaultPort,
    path: path === undefined || path === '' ? null : path,
  };
}
