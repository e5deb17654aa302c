// How the proxy speaks TLS to an https service (Kong's proxy_ssl_* per service): `tls_verify` (null
// keeps nginx's default, no verification), `tls_verify_depth`, `ca_certificates` (the trust store when
// verifying; null: the system's CAs) and `client_certificate` (mTLS to the upstream). Resolved at
// snapshot apply into undici connect options; the digest keys the connection pool, so a change of any
// TLS setting opens new connections and unchanged ones keep theirs.
import { createHash } from 'node:crypto';
import type { TLSSocket, PeerCertificate, DetailedPeerCertificate } from 'node:tls';
import type { CaCertificate, Certificate, ConfigSet, Service } from '@archway/schema';
import { buildConnector } from 'undici';

export interface UpstreamTls {
  verify: boolean;
  /** most CA certificates allowed above the upstream's own (OpenSSL's verify depth); null: no limit */
  depth: number | null;
  /** PEMs trusted when verifying; null: Node's bundled CAs */
  ca: string[] | null;
  /** client certificate and key presented to the upstream; null: none */
  cert: string | null;
  key: string | null;
  /** sha256 over everything above: part of the pool key */
  digest: string;
}

export class UpstreamTlsError extends Error {
  constructor(
    readonly code: 'ARCHWAY_TLS_VERIFY_DEPTH',
    message: string,
  ) {
    super(message);
  }
}

/** Per snapshot: resolves each https service's TLS settings against the certificates it references. */
export function upstreamTlsResolver(config: Pick<ConfigSet, 'certificates' | 'ca_certificates'>): (s: Service) => UpstreamTls | null {
  const cas = new Map<string, CaCertificate>(config.ca_certificates.map((c) => [c.id, c]));
  const certs = new Map<string, Certificate>(config.certificates.map((c) => [c.id, c]));
  return (service) => {
    if (service.protocol !== 'https' && service.protocol !== 'wss' && service.protocol !== 'grpcs') return null;
    const client = service.client_certificate ? certs.get(service.client_certificate.id) : undefined;
    const ca = service.ca_certificates?.length
      ? service.ca_certificates.map((id) => cas.get(id)?.cert).filter((pem): pem is string => pem !== undefined)
      : null;
    const tls = {
      verify: service.tls_verify === true,
      depth: service.tls_verify_depth,
      ca,
      cert: client?.cert ?? null,
      key: client?.key ?? null,
    };
    return { ...tls, digest: createHash('sha256').update(JSON.stringify(tls)).digest('hex').slice(0, 32) };
  };
}

/** How many certificates sign the peer's, up to and including the trust anchor. */
export function issuerCount(cert: PeerCertificate | DetailedPeerCertificate): number {
  let n = 0;
  let c = cert as DetailedPeerCertificate;
  while (c.issuerCertificate && c.issuerCertificate !== c && c.issuerCertificate.fingerprint256 !== c.fingerprint256 && n < 100) {
    n++;
    c = c.issuerCertificate;
  }
  return n;
}

type ConnectOptions = Record<string, unknown>;

/** undici Pool `connect` value: TLS options, or a connector that also enforces the verify depth. */
export function connectOption(tls: UpstreamTls | null, timeout: number): ConnectOptions | buildConnector.connector {
  const opts: ConnectOptions = { timeout, rejectUnauthorized: tls?.verify === true };
  if (tls === null) return opts;
  if (tls.ca !== null) opts.ca = tls.ca;
  if (tls.cert !== null && tls.key !== null) {
    opts.cert = tls.cert;
    opts.key = tls.key;
  }
  const depth = tls.depth;
  if (!tls.verify || depth === null) return opts;
  const connect = buildConnector(opts as buildConnector.BuildOptions);
  return (options, callback) =>
    connect(options, (err, socket) => {
      if (err !== null) return callback(err, null);
      const chain = issuerCount((socket as TLSSocket).getPeerCertificate(true));
      if (chain <= depth) return callback(null, socket);
      socket.destroy();
      callback(new UpstreamTlsError('ARCHWAY_TLS_VERIFY_DEPTH', `upstream certificate chain is longer than tls_verify_depth ${depth} (${chain} issuers)`), null);
    });
}
