// Field shapes shared by plugin schemas (Kong's kong/db/schema/typedefs.lua), with Kong's messages.
import { isIP } from 'node:net';
import { type FieldDef, isValidHostname } from '@archway/schema';

type Def<T extends FieldDef['type']> = Extract<FieldDef, { type: T }>;

const HEADER_NAME_RE = /^[a-zA-Z0-9_-]+$/;

export function headerNameError(v: string): string | null {
  return HEADER_NAME_RE.test(v) ? null : `bad header name '${v}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`;
}

export const headerName: Def<'string'> = { type: 'string', check: headerNameError };

export const host: Def<'string'> = {
  type: 'string',
  check: (v) => (isValidHostname(v) ? null : `invalid hostname: ${v}`),
};

/** Kong's typedefs.sni: a hostname that is not an IP address. */
export const sni: Def<'string'> = {
  type: 'string',
  check: (v) => (isIP(v) ? 'must not be an IP' : isValidHostname(v) ? null : `invalid value: ${v}`),
};

export const port = (dflt?: number): Def<'integer'> => ({ type: 'integer', between: [0, 65535], default: dflt ?? null });

/** Kong's typedefs.timeout, in milliseconds. */
export const timeout = (dflt: number): Def<'integer'> => ({ type: 'integer', between: [0, 2 ** 31 - 2], default: dflt });

/** Kong's typedefs.path: starts with `/`, no empty segments. */
export const path: Def<'string'> = {
  type: 'string',
  check: (v) => (!v.startsWith('/') ? 'should start with: /' : v.includes('//') ? 'must not have empty segments' : null),
};

const URL_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(?:[^@/?#]*@)?([^/?#:]*)/;

/** Kong's validate_url: a host and a scheme (socket.url's parse, host checked first). */
export function urlError(v: string): string | null {
  const m = URL_RE.exec(v);
  if (!m || m[2] === '') return 'missing host in url';
  return null;
}

export function urlScheme(v: string): string | null {
  return URL_RE.exec(v)?.[1].toLowerCase() ?? null;
}

export const url: Def<'string'> = { type: 'string', check: urlError };

function isIpOrCidr(v: string): boolean {
  const [ip, bits, extra] = v.split('/');
  const family = isIP(ip);
  if (!family || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

export const ipOrCidr: Def<'string'> = {
  type: 'string',
  check: (v) => (isIpOrCidr(v) ? null : `invalid ip or cidr range: '${v}'`),
};

/** Kong's http_method typedef (`match = "^%u+$"`). */
export const httpMethod: Def<'string'> = { type: 'string', check: (v) => (/^[A-Z]+$/.test(v) ? null : `invalid value: ${v}`) };

/** Kong's typedefs.lua_code (custom_fields_by_lua): accepted for config compatibility, see luaCodeCheck. */
export const luaCode: Def<'map'> = { type: 'map', keys: { type: 'string' }, values: { type: 'string' } };
