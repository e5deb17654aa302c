// PEM helpers for certificates and ca_certificates, on node:crypto (Kong uses lua-resty-openssl).
// Each returns a plain answer or Kong's message; nothing here throws on bad input.
import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';

const CERT_BEGIN = /-----BEGIN CERTIFICATE-----/g;

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The first certificate of a PEM (a chain's leaf), or Kong's "invalid certificate: …". */
export function parseCertificate(pem: string): X509Certificate | string {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    return `invalid certificate: ${reason(err)}`;
  }
}

/** A private key from PEM, or Kong's "invalid key: …". */
export function parsePrivateKey(pem: string): KeyObject | string {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    return `invalid key: ${reason(err)}`;
  }
}

export function checkCertificate(pem: string): string | null {
  const cert = parseCertificate(pem);
  return typeof cert === 'string' ? cert : null;
}

export function checkPrivateKey(pem: string): string | null {
  const key = parsePrivateKey(pem);
  return typeof key === 'string' ? key : null;
}

/** Whether the key is the private half of the certificate's public key (both already field-valid). */
export function keyMatchesCertificate(certPem: string, keyPem: string): boolean {
  const cert = parseCertificate(certPem);
  const key = parsePrivateKey(keyPem);
  if (typeof cert === 'string' || typeof key === 'string') return false;
  return cert.checkPrivateKey(key);
}

/** The certificate's public key algorithm ('rsa', 'ec', 'ed25519', …), to tell a cert_alt from its cert. */
export function certificateKeyType(pem: string): string | undefined {
  const cert = parseCertificate(pem);
  return typeof cert === 'string' ? undefined : cert.publicKey.asymmetricKeyType;
}

export function countCertificates(pem: string): number {
  return pem.match(CERT_BEGIN)?.length ?? 0;
}

/** Whether basicConstraints says CA:TRUE. */
export function isCaCertificate(pem: string): boolean {
  const cert = parseCertificate(pem);
  return typeof cert !== 'string' && cert.ca;
}

/** Whether the certificate's "Not After" is before `now`. */
export function isExpired(pem: string, now: number = Date.now()): boolean {
  const cert = parseCertificate(pem);
  return typeof cert !== 'string' && Date.parse(cert.validTo) < now;
}

/** Kong's cert_digest: sha256 of the DER, lower-case hex. */
export function certificateDigest(pem: string): string {
  const cert = parseCertificate(pem);
  if (typeof cert === 'string') throw new Error('cannot create digest value of certificate');
  return createHash('sha256').update(cert.raw).digest('hex');
}
