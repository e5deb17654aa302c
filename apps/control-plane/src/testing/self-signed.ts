// Spec helper: a self-signed EC certificate and its key, made by the openssl CLI, for Admin API specs
// and black-box tests (test/support/admin-process.ts re-exports it).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A leaf for `cn` (subjectAltName DNS:`cn`), or a CA (basicConstraints CA:TRUE) when `ca`. */
export function selfSigned(ca = false, cn = 'example.test'): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'archway-spec-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', `/CN=${cn}`,
      '-addext', ca ? 'basicConstraints=critical,CA:TRUE' : `subjectAltName=DNS:${cn}`,
    ], { stdio: 'pipe' });
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
