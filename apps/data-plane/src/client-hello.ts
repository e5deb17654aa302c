// Reads the server name (RFC 6066 SNI) out of a TLS ClientHello before the handshake starts, so the
// listener can hand node:tls the certificate's whole SecureContext up front. (node's SNICallback
// installs only one certificate of the chosen context and keeps the default context's others, so an
// ECDSA-preferring client could be handed the default's ECDSA certificate instead of an SNI's RSA one,
// and cert_alt would never be served.) Pure, bounds-checked, allocation-free until the name is found.

/** Records carry at most 2^14 bytes of plaintext; a ClientHello larger than one record is rare. */
export const MAX_HELLO_RECORD = 5 + 16_384 + 256;

/**
 * The host name the client asked for: a string; null when there is none (no extension, not TLS,
 * malformed, or beyond the first record); undefined when the first record is not complete yet.
 */
export function serverNameOf(buf: Buffer): string | null | undefined {
  if (buf.length < 5) return buf.length > 0 && buf[0] !== 0x16 ? null : undefined;
  if (buf[0] !== 0x16 /* handshake */) return null;
  const recordEnd = 5 + buf.readUInt16BE(3);
  if (recordEnd > MAX_HELLO_RECORD) return null;
  if (buf.length < recordEnd) return undefined;
  if (buf[5] !== 0x01 /* client_hello */) return null;
  const end = Math.min(recordEnd, 9 + ((buf[6] << 16) | (buf[7] << 8) | buf[8]));
  let p = 9 + 2 + 32; // handshake header, legacy_version, random
  if (p >= end) return null;
  p += 1 + buf[p]; // session id
  if (p + 2 > end) return null;
  p += 2 + buf.readUInt16BE(p); // cipher suites
  if (p + 1 > end) return null;
  p += 1 + buf[p]; // compression methods
  if (p + 2 > end) return null;
  const extEnd = Math.min(end, p + 2 + buf.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    p += 4;
    if (p + len > extEnd) return null;
    if (type === 0x0000 /* server_name */) return hostNameIn(buf, p, p + len);
    p += len;
  }
  return null;
}

function hostNameIn(buf: Buffer, start: number, end: number): string | null {
  if (start + 2 > end) return null;
  let q = start + 2; // server_name_list length
  while (q + 3 <= end) {
    const nameType = buf[q];
    const len = buf.readUInt16BE(q + 1);
    q += 3;
    if (q + len > end) return null;
    if (nameType === 0 /* host_name */) return len > 0 ? buf.toString('latin1', q, q + len) : null;
    q += len;
  }
  return null;
}
