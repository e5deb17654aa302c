// Kong's trusted_ips: the peers whose X-Forwarded-* headers the proxy forwards as sent. The setting's
// CIDR blocks are compiled once at start into integer masks; a request costs a parse of the peer's
// address and a few integer compares (nothing at all when the list is empty, Kong's default).
import { parseIp, type Cidr } from '@archway/config';

export type TrustedIpMatcher = (ip: string) => boolean;

const NEVER: TrustedIpMatcher = () => false;
const ALWAYS: TrustedIpMatcher = () => true;

/** Dotted IPv4 -> unsigned 32-bit integer, or -1; a char loop (this runs per request). */
export function ipv4ToInt(ip: string): number {
  let value = 0;
  let octet = -1;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46 /* . */) {
      if (octet < 0 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = -1;
    } else if (c >= 48 && c <= 57) {
      octet = octet < 0 ? c - 48 : octet * 10 + c - 48;
      if (octet > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || octet < 0) return -1;
  return value * 256 + octet;
}

/** Big-endian 32-bit words of a 4- or 16-byte address. */
function words(bytes: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) out.push(((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0);
  return out;
}

/** The mask of word `index` for a prefix of `prefix` bits. */
function wordMask(prefix: number, index: number): number {
  const bits = Math.min(32, Math.max(0, prefix - index * 32));
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

interface Block {
  net: number[];
  mask: number[];
}

function block(cidr: Cidr): Block {
  const mask = words(cidr.bytes).map((_, i) => wordMask(cidr.prefix, i));
  return { net: words(cidr.bytes).map((w, i) => (w & mask[i]) >>> 0), mask };
}

function inBlocks(addr: number[], blocks: Block[]): boolean {
  outer: for (const b of blocks) {
    for (let i = 0; i < addr.length; i++) if (((addr[i] & b.mask[i]) >>> 0) !== b.net[i]) continue outer;
    return true;
  }
  return false;
}

/** The matcher for ARCHWAY_TRUSTED_IPS; `ip` is the peer as clientAddress() reports it. */
export function compileTrustedIps(cidrs: readonly Cidr[]): TrustedIpMatcher {
  if (cidrs.length === 0) return NEVER;
  const v4 = cidrs.filter((c) => c.family === 4).map(block);
  const v6 = cidrs.filter((c) => c.family === 6).map(block);
  const allV4 = cidrs.some((c) => c.family === 4 && c.prefix === 0);
  const allV6 = cidrs.some((c) => c.family === 6 && c.prefix === 0);
  if (allV4 && allV6) return ALWAYS;
  return (ip) => {
    const n = ipv4ToInt(ip);
    if (n >= 0) return allV4 || inBlocks([n], v4);
    if (allV6) return ip.includes(':');
    if (v6.length === 0) return false;
    const bytes = parseIp(ip);
    return bytes !== null && bytes.length === 16 && inBlocks(words(bytes), v6);
  };
}

/** The process's matcher, set once at start from the settings (configureTrustedIps); none trusted until then. */
export let isTrustedPeer: TrustedIpMatcher = NEVER;

export function configureTrustedIps(cidrs: readonly Cidr[]): void {
  isTrustedPeer = compileTrustedIps(cidrs);
}
