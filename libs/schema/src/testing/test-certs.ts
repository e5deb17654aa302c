// Spec helper: real X.509 certificates made at test time (node makes the key, the openssl CLI signs).
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  cert: string;
  key: string;
}

const CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = example.test
[leaf]
basicConstraints = critical,CA:FALSE
subjectAltName = DNS:example.test
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
`;

const cache = new Map<string, TestCert>();

/** A self-signed certificate and its private key (PKCS#8 PEM); `ca` sets basicConstraints CA:TRUE. */
export function makeCert(opts: { keyType?: 'rsa' | 'ec'; ca?: boolean; days?: number; tag?: string } = {}): TestCert {
  const { keyType = 'rsa', ca = false, days = 2, tag = '' } = opts;
  const cacheKey = `${keyType}:${ca}:${days}:${tag}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const { privateKey } =
    keyType === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const dir = mkdtempSync(join(tmpdir(), 'archway-cert-'));
  try {
    writeFileSync(join(dir, 'key.pem'), key);
    writeFileSync(join(dir, 'openssl.cnf'), CONFIG);
    execFileSync('openssl', [
      'req', '-new', '-x509', '-key', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', String(days), '-config', join(dir, 'openssl.cnf'), '-extensions', ca ? 'ca' : 'leaf',
    ], { stdio: 'pipe' });
    const made = { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key };
    cache.set(cacheKey, made);
    return made;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The SHA-256 fingerprint openssl reports, as lower-case hex without colons. */
export function opensslSha256(cert: string): string {
  const out = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: cert }).toString();
  return out.trim().split('=')[1].replace(/:/g, '').toLowerCase();
}
