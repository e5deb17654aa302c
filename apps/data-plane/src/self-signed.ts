// The built-in default certificate, served when no configured SNI (nor the `*` default) matches, as
// Kong serves the one it generates into its prefix at start-up. node:crypto can sign but cannot issue
// X.509, so the certificate is assembled here in DER (RFC 5280, the minimum a TLS client parses): no
// openssl binary needed and no private key shipped in the repository. Made once per process.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

export interface PemPair {
  cert: string;
  key: string;
}

/** DER: tag, definite length, content. */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, item: Buffer) => tlv(0xa0 + n, item);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const NULL = Buffer.from([0x05, 0x00]);
const TRUE = Buffer.from([0x01, 0x01, 0xff]);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const parts = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) parts.unshift((v & 0x7f) | 0x80);
    out.push(...parts);
  }
  return tlv(0x06, Buffer.from(out));
}

function integer(b: Buffer): Buffer {
  return tlv(0x02, b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

/** Kong's default certificate subject (kong/cmd/utils/prefix_handler.lua), CN=localhost. */
function kongName(): Buffer {
  const rdn = (type: string, value: string) => set(seq(oid(type), utf8(value)));
  return seq(
    rdn('2.5.4.6', 'US'),
    rdn('2.5.4.8', 'California'),
    rdn('2.5.4.7', 'San Francisco'),
    rdn('2.5.4.10', 'Archway'),
    rdn('2.5.4.11', 'IT Department'),
    rdn('2.5.4.3', 'localhost'),
  );
}

const SIGNATURE_ALGORITHMS = {
  rsa: seq(oid('1.2.840.113549.1.1.11'), NULL), // sha256WithRSAEncryption
  ec: seq(oid('1.2.840.10045.4.3.2')), // ecdsa-with-SHA256
};

function issue(privateKey: KeyObject, publicKey: KeyObject, kind: 'rsa' | 'ec', days: number): PemPair {
  const now = Date.now();
  const serial = randomBytes(16);
  // positive and minimal in DER: top bit clear, first byte non-zero (a leading 0x00 before a byte
  // below 0x80 is a non-minimal INTEGER that OpenSSL refuses to parse, once in ~128 certificates)
  serial[0] = (serial[0] & 0x7f) | 0x40;
  const extensions = seq(
    seq(oid('2.5.29.19'), TRUE, octets(seq())), // basicConstraints: critical, not a CA
    seq(oid('2.5.29.17'), octets(seq(tlv(0x82, Buffer.from('localhost'))))), // subjectAltName DNS:localhost
  );
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    SIGNATURE_ALGORITHMS[kind],
    kongName(),
    seq(time(new Date(now - 86_400_000)), time(new Date(now + days * 86_400_000))),
    kongName(),
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, extensions),
  );
  const der = seq(tbs, SIGNATURE_ALGORITHMS[kind], bits(sign('sha256', tbs, privateKey)));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/** A self-signed certificate for CN=localhost: RSA 2048 or ECDSA P-256, valid from yesterday for `days`. */
export function selfSignedCertificate(kind: 'rsa' | 'ec', days = 3650): PemPair {
  const { privateKey, publicKey } =
    kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return issue(privateKey, publicKey, kind, days);
}

let builtIn: PemPair[] | null = null;

/** Kong's pair of defaults (RSA and ECDSA, so either kind of client gets one), made on first use. */
export function defaultCertificates(): PemPair[] {
  return (builtIn ??= [selfSignedCertificate('rsa'), selfSignedCertificate('ec')]);
}
