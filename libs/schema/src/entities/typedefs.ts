// Shared field shapes (Kong's kong/db/schema/typedefs.lua), defined once.
import type { FieldDef } from '../fields';

type Def<T extends FieldDef['type']> = Extract<FieldDef, { type: T }> & { type: T };

const NAME_RE = /^[\p{L}\p{N}.\-_~]+$/u;
const HOST_RE = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const TAG_RE = /^[\x21-\x2b\x2d-\x2e\x30-\x7e\u0080-\uffff]+$/; // printable, no ',' or '/'

export function isValidHostname(host: string): boolean {
  const ip = IPV4_RE.exec(host);
  if (ip) return ip.slice(1).every((o) => Number(o) <= 255);
  if (host.startsWith('[') && host.endsWith(']')) return host.slice(1, -1).includes(':');
  return HOST_RE.test(host);
}

export const id: Def<'string'> = { type: 'string', uuid: true, auto: true, required: true };
export const timestamp: Def<'integer'> = { type: 'integer', auto: true, required: true, between: [0, 2 ** 53] };

export const utf8Name: Def<'string'> = {
  type: 'string',
  unique: true,
  check: (v) =>
    NAME_RE.test(v) ? null : `invalid value '${v}': it must only contain alphanumeric and '., -, _, ~' characters`,
};

export const host: Def<'string'> = {
  type: 'string',
  check: (v) => (isValidHostname(v) ? null : `invalid hostname: ${v}`),
};

export const port: Def<'integer'> = { type: 'integer', between: [0, 65535] };
export const timeout: Def<'integer'> = { type: 'integer', between: [1, 2 ** 31 - 2] };

export const tags: Extract<FieldDef, { elements: FieldDef }> = {
  type: 'set',
  elements: {
    type: 'string',
    check: (v: string) => (TAG_RE.test(v) ? null : `invalid tag '${v}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`),
  },
};

export const protocols = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp', 'ws', 'wss'] as const;
