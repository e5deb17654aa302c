// Kong's host/ip parsing (kong/tools/ip.lua: hostname_type, normalize_ip, format_host), which upstream
// names, targets, host headers and SNIs are all validated with. Messages are Kong's.

export type AddressType = 'ipv4' | 'ipv6' | 'name';

export interface ParsedAddress {
  type: AddressType;
  /** normalised: ipv4 without leading zeros, ipv6 fully expanded and lower-cased (no brackets) */
  host: string;
  port: number | null;
}

/** Kong's rule of thumb: more than one colon is ipv6, digits and dots are ipv4, anything else a name. */
export function hostnameType(address: string): AddressType {
  const colons = address.split(':').length - 1;
  if (colons > 1) return 'ipv6';
  return /^[\d.]+$/.test(address.replace(':', '')) ? 'ipv4' : 'name';
}

function parsePort(raw: string): number | string {
  const port = Number(raw);
  return port > 65535 ? 'invalid port number' : port;
}

function normalizeIpv4(address: string): ParsedAddress | string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::(\d+))?$/.exec(address);
  if (!m || (address.includes(':') && m[5] === undefined)) return `invalid ipv4 address: ${address}`;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return `invalid ipv4 address: ${address}`;
  const port = m[5] === undefined ? null : parsePort(m[5]);
  if (typeof port === 'string') return port;
  return { type: 'ipv4', host: octets.join('.'), port };
}

function normalizeIpv6(address: string): ParsedAddress | string {
  let check = address;
  let port: number | null = null;
  const bracketed = /^\[([^\]]*)\](.*)$/.exec(address);
  if (bracketed) {
    check = bracketed[1];
    if (bracketed[2] !== '') {
      const p = /^:(\d+)$/.exec(bracketed[2]);
      if (!p) return 'invalid ipv6 address';
      const parsed = parsePort(p[1]);
      if (typeof parsed === 'string') return parsed;
      port = parsed;
    }
  }
  if (check.startsWith(':')) check = `0${check}`;
  if (check.endsWith(':')) check = `${check}0`;
  if (check.includes('::')) {
    const colons = check.split(':').length - 1;
    check = check.replace('::', `:${'0:'.repeat(Math.max(0, 8 - colons))}`);
  }
  const groups = check.split(':');
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g)))
    return `invalid ipv6 address: ${address}`;
  return { type: 'ipv6', host: groups.map((g) => g.padStart(4, '0').toLowerCase()).join(':'), port };
}

/** Kong's check_hostname: letters, digits, '-', '.', '_'; no empty label but a trailing dot; no label ending in '-'. */
function normalizeName(address: string): ParsedAddress | string {
  let name = address;
  let port: number | null = null;
  const p = /:(\d+)$/.exec(address);
  if (p) {
    name = address.slice(0, -(p[1].length + 1));
    const parsed = parsePort(p[1]);
    if (typeof parsed === 'string') return parsed;
    port = parsed;
  }
  if (!/^[A-Za-z0-9\-._]+$/.test(name)) return `invalid hostname: ${address}`;
  const labels = name.split('.');
  const bad = labels.some((l, i) => l.endsWith('-') || (l === '' && i !== labels.length - 1));
  if (bad) return `invalid hostname: ${address}`;
  return { type: 'name', host: name, port };
}

/** Parses `host[:port]`, `[ipv6][:port]` or a bare ipv6 address; returns Kong's error text when invalid. */
export function normalizeIp(address: string): ParsedAddress | string {
  const type = hostnameType(address);
  if (type === 'ipv4') return normalizeIpv4(address);
  if (type === 'ipv6') return normalizeIpv6(address);
  return normalizeName(address);
}

/** Kong's format_host: ipv6 in brackets, the port appended (or the default port when there is none). */
export function formatHost(address: ParsedAddress, defaultPort?: number): string {
  const host = address.type === 'ipv6' ? `[${address.host}]` : address.host;
  const port = address.port ?? defaultPort;
  return port === undefined ? host : `${host}:${port}`;
}

/** Kong's typedefs.sni: a name without a port; "invalid value: x", "must not be an IP", "must not have a port". */
export function checkSni(host: string): string | null {
  const parsed = normalizeIp(host);
  if (typeof parsed === 'string' && parsed !== 'invalid port number') return `invalid value: ${host}`;
  if (typeof parsed !== 'string' && parsed.type !== 'name') return 'must not be an IP';
  if (typeof parsed === 'string' || parsed.port !== null) return 'must not have a port';
  return null;
}

/**
 * Kong's typedefs.wildcard_host for SNI names: one '*' as the first or last character, the rest an SNI.
 * The wildcard is replaced by a label before the SNI check, so that check's message shows it replaced.
 */
export function checkWildcardSni(host: string): string | null {
  const idx = host.indexOf('*');
  if (idx === -1) return checkSni(host);
  if (idx !== 0 && idx !== host.length - 1) return 'wildcard must be leftmost or rightmost character';
  if (host.split('*').length - 1 > 1) return 'only one wildcard must be specified';
  return checkSni(host.replace('*', 'wildcard'));
}

/** Kong's typedefs.host_with_optional_port (an upstream's host_header). */
export function checkHostWithOptionalPort(host: string): string | null {
  const parsed = normalizeIp(host);
  return typeof parsed === 'string' ? parsed : null;
}
