// Spec helpers for TLS: a CA and leaf certificates it signs (node makes the keys, the openssl CLI signs),
// certificate/sni/ca_certificate entities built through the real schemas, and a TLS client that reports
// which certificate the server presented.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import {
  caCertificateSchema,
  certificateSchema,
  sniSchema,
  validateEntity,
  type CaCertificate,
  type Certificate,
  type Sni,
} from '@archway/schema';

export interface Pem {
  cert: string;
  key: string;
}

function newKey(type: 'rsa' | 'ec'): string {
  const { privateKey } =
    type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

function openssl(files: Record<string, string>, args: (dir: string) => string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'archway-tls-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    execFileSync('openssl', args(dir), { stdio: 'pipe' });
    return readFileSync(join(dir, 'out.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A self-signed CA (basicConstraints CA:TRUE). */
export function makeCa(cn = 'Archway Test CA'): Pem {
  const key = newKey('ec');
  const cnf = `[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=${cn}\n[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n`;
  const cert = openssl({ 'key.pem': key, 'c.cnf': cnf }, (d) => [
    'req', '-new', '-x509', '-key', join(d, 'key.pem'), '-out', join(d, 'out.pem'), '-days', '2', '-config', join(d, 'c.cnf'), '-extensions', 'ca',
  ]);
  return { cert, key };
}

/** A leaf for `cn` (+ `sans`, e.g. ['DNS:a.test', 'IP:127.0.0.1']) signed by `ca`, or self-signed without one. */
export function makeLeaf(cn: string, opts: { ca?: Pem; sans?: string[]; keyType?: 'rsa' | 'ec' } = {}): Pem {
  const key = newKey(opts.keyType ?? 'ec');
  const sans = opts.sans ?? [`DNS:${cn}`];
  const cnf =
    `[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=${cn}\n` +
    `[leaf]\nbasicConstraints=critical,CA:FALSE\nsubjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth,clientAuth\n`;
  if (!opts.ca)
    return {
      key,
      cert: openssl({ 'key.pem': key, 'c.cnf': cnf }, (d) => [
        'req', '-new', '-x509', '-key', join(d, 'key.pem'), '-out', join(d, 'out.pem'), '-days', '2', '-config', join(d, 'c.cnf'), '-extensions', 'leaf',
      ]),
    };
  const csr = openssl({ 'key.pem': key, 'c.cnf': cnf }, (d) => ['req', '-new', '-key', join(d, 'key.pem'), '-out', join(d, 'out.pem'), '-config', join(d, 'c.cnf')]);
  const cert = openssl({ 'csr.pem': csr, 'ca.pem': opts.ca.cert, 'cakey.pem': opts.ca.key, 'c.cnf': cnf }, (d) => [
    'x509', '-req', '-in', join(d, 'csr.pem'), '-CA', join(d, 'ca.pem'), '-CAkey', join(d, 'cakey.pem'), '-CAcreateserial',
    '-out', join(d, 'out.pem'), '-days', '2', '-extfile', join(d, 'c.cnf'), '-extensions', 'leaf',
  ]);
  return { cert, key };
}

export function certificateEntity(pem: Pem, alt?: Pem): Certificate {
  return validateEntity<Certificate>(
    certificateSchema,
    { id: randomUUID(), cert: pem.cert, key: pem.key, cert_alt: alt?.cert ?? null, key_alt: alt?.key ?? null },
    'create',
  );
}

export function sniEntity(name: string, cert: Certificate): Sni {
  return validateEntity<Sni>(sniSchema, { name, certificate: { id: cert.id } }, 'create');
}

export function caEntity(pem: Pem): CaCertificate {
  const ca = validateEntity<CaCertificate>(caCertificateSchema, { cert: pem.cert }, 'create');
  return (caCertificateSchema.beforeStore?.(ca as unknown as Record<string, unknown>, null) ?? ca) as unknown as CaCertificate;
}

/** The subject CN of the certificate the TLS server presents for `servername` (undefined: send no SNI). */
export function presentedCn(port: number, servername: string | undefined, extra: ConnectionOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], ...extra }, () => {
      const raw = socket.getPeerX509Certificate();
      socket.destroy();
      const cn = raw ? /CN=([^\n,]+)/.exec(new X509Certificate(raw.raw).subject)?.[1] : undefined;
      resolve(cn ?? '');
    });
    socket.on('error', reject);
  });
}
