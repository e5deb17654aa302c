// Server certificates chosen by SNI (kong/runloop/certificate.lua `find_certificate`): the exact name,
// then the name with its first label replaced by `*` (`*.example.com`), then with its last label
// replaced (`www.example.*`), then the `*` SNI; nothing matched -> the built-in default certificate.
// Compiled at snapshot apply: one SecureContext per certificate (cert and cert_alt together), reused by
// content across snapshots, so a handshake costs at most four map lookups.
import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Certificate, ConfigSet } from '@archway/schema';

/** PEMs for node:tls: the certificate and, when set, its alternative (RSA + ECDSA) in one context. */
export interface CertificatePems {
  cert: string[];
  key: string[];
}

export function certificatePems(c: Pick<Certificate, 'cert' | 'key' | 'cert_alt' | 'key_alt'>): CertificatePems {
  const pems: CertificatePems = { cert: [c.cert], key: [c.key] };
  if (c.cert_alt !== null && c.key_alt !== null) {
    pems.cert.push(c.cert_alt);
    pems.key.push(c.key_alt);
  }
  return pems;
}

function digestOf(pems: CertificatePems): string {
  const h = createHash('sha256');
  for (const part of [...pems.cert, ...pems.key]) h.update(part).update('\0');
  return h.digest('hex');
}

/** SecureContexts by content: the map of the latest compile, so unchanged certificates are not re-parsed. */
let contexts = new Map<string, SecureContext>();

/** An SNI name as matched: lower-case, without the trailing dot of a fully qualified name. */
export function normalizeServerName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length > 1 && lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** What a server name resolves to: the certificate's id (for logs and tests) and its context. */
export interface SniEntry {
  readonly certificateId: string;
  readonly context: SecureContext;
}

export class SniCertificates {
  readonly #byName: ReadonlyMap<string, SniEntry>;

  constructor(byName: ReadonlyMap<string, SniEntry>) {
    this.#byName = byName;
  }

  get size(): number {
    return this.#byName.size;
  }

  /** The certificate for `servername` as the client sent it ('' for none: the `*` one); null: the built-in default. */
  lookup(servername: string): SniEntry | null {
    const byName = this.#byName;
    if (byName.size === 0) return null;
    const name = normalizeServerName(servername);
    const exact = byName.get(name);
    if (exact !== undefined) return exact;
    const firstDot = name.indexOf('.');
    if (firstDot > 0) {
      const prefixed = byName.get(`*${name.slice(firstDot)}`);
      if (prefixed !== undefined) return prefixed;
    }
    const lastDot = name.lastIndexOf('.');
    if (lastDot > 0) {
      const suffixed = byName.get(`${name.slice(0, lastDot)}.*`);
      if (suffixed !== undefined) return suffixed;
    }
    return byName.get('*') ?? null;
  }
}

export class CertificateCompileError extends Error {
  readonly code = 'ARCHWAY_CERTIFICATE_REJECTED';
}

/**
 * Builds the SNI table of `config`. Throws CertificateCompileError naming the certificate when node:tls
 * refuses its PEMs (the snapshot is then NACKed and the old table keeps serving).
 */
export function compileSniCertificates(config: Pick<ConfigSet, 'certificates' | 'snis'>): SniCertificates {
  const certs = new Map(config.certificates.map((c) => [c.id, c]));
  const next = new Map<string, SecureContext>();
  const byCert = new Map<string, SniEntry>();
  const byName = new Map<string, SniEntry>();
  for (const sni of config.snis) {
    const cert = certs.get(sni.certificate.id);
    if (cert === undefined) continue; // validateConfig has rejected dangling references already
    let entry = byCert.get(cert.id);
    if (entry === undefined) {
      const pems = certificatePems(cert);
      const digest = digestOf(pems);
      const context = next.get(digest) ?? contexts.get(digest) ?? buildContext(cert.id, pems);
      next.set(digest, context);
      entry = { certificateId: cert.id, context };
      byCert.set(cert.id, entry);
    }
    const name = normalizeServerName(sni.name);
    byName.set(name, entry);
  }
  contexts = next;
  return new SniCertificates(byName);
}

function buildContext(id: string, pems: CertificatePems): SecureContext {
  try {
    return createSecureContext({ cert: pems.cert, key: pems.key });
  } catch (err) {
    throw new CertificateCompileError(`certificate ${id} cannot be served: ${(err as Error).message}; replace its cert and key`);
  }
}
