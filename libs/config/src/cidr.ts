// IP addresses and CIDR blocks (IPv4 and IPv6), parsed into bytes once: settings validate
// ARCHWAY_TRUSTED_IPS with these, the data plane compiles its matcher from the result.

/** A network: its address bytes (4 or 16) and the prefix length in bits. */
export interface Cidr {
  family: 4 | 6;
  bytes: number[];
  prefix: number;
  /** as written in the setting, for messages and logs */
  text: string;
}

function parseIpv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

/** 16 bytes, or null; accepts `::`, a trailing dotted IPv4 (`::ffff:10.0.0.1`), no zone ids. */
function parseIpv6(text: string): number[] | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-f]{1,4}$/i.test(p)) out.push(parseInt(p, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** An address's bytes: 4 for IPv4, 16 for IPv6; null when `text` is not an address. */
export function parseIp(text: string): number[] | null {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

/** `10.0.0.0/8`, `2001:db8::/32` or a single address (a /32 or /128); null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const t = text.trim();
  const slash = t.indexOf('/');
  const bytes = parseIp(slash === -1 ? t : t.slice(0, slash));
  if (!bytes) return null;
  const bits = bytes.length * 8;
  let prefix = bits;
  if (slash !== -1) {
    const p = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > bits) return null;
    prefix = Number(p);
  }
  return { family: bytes.length === 4 ? 4 : 6, bytes, prefix, text: t };
}
