// The certificates entity (kong/db/schema/entities/certificates.lua, kong/db/dao/certificates.lua).
// `snis` is write-only here: the Admin API turns it into snis entities and shows them on reads.
import type { EntitySchema } from '../entity';
import type { FieldErrors } from '../errors';
import {
  certificateKeyType,
  checkCertificate,
  checkPrivateKey,
  keyMatchesCertificate,
} from './pem';
import { checkWildcardSni } from './address';
import { sniName } from './sni';
import { id, tags, timestamp } from './typedefs';

export interface Certificate {
  id: string;
  created_at: number;
  updated_at: number;
  cert: string;
  key: string;
  cert_alt: string | null;
  key_alt: string | null;
  tags: string[] | null;
  /** transient: the SNI names to point at this certificate (sorted); null when not given */
  snis: string[] | null;
}

const cert = { type: 'string' as const, check: checkCertificate };
const key = { type: 'string' as const, check: checkPrivateKey };

function duplicateSni(names: string[]): string | undefined {
  const seen = new Set<string>();
  return names.find((n) => (seen.has(n) ? true : (seen.add(n), false)));
}

/** Kong's entity_checks, in order; every failing one is reported. */
function checkCertificateEntity(c: Record<string, unknown>): FieldErrors | null {
  const errors: FieldErrors = {};
  const entity: string[] = [];
  const [certPem, keyPem] = [c.cert as string, c.key as string];
  const [certAlt, keyAlt] = [c.cert_alt as string | null, c.key_alt as string | null];
  if ((certAlt === null) !== (keyAlt === null))
    entity.push("all or none of these fields must be set: 'cert_alt', 'key_alt'");
  if (!keyMatchesCertificate(certPem, keyPem)) entity.push('certificate does not match key');
  if (certAlt !== null && keyAlt !== null && !keyMatchesCertificate(certAlt, keyAlt))
    entity.push('alternative certificate does not match key');
  if (certAlt !== null && certificateKeyType(certPem) === certificateKeyType(certAlt))
    entity.push(
      'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), ' +
        'the provided certificates were both of the same type',
    );
  if (entity.length) errors['@entity'] = entity;
  const dup = Array.isArray(c.snis) ? duplicateSni(c.snis as string[]) : undefined;
  if (dup !== undefined) errors.snis = `duplicate SNI in request: ${dup}`;
  return Object.keys(errors).length ? errors : null;
}

export const certificateSchema: EntitySchema = {
  name: 'certificates',
  endpointKey: null,
  transient: ['snis'],
  fields: {
    id,
    created_at: timestamp,
    updated_at: timestamp,
    cert: { ...cert, required: true },
    key: { ...key, required: true },
    cert_alt: cert,
    key_alt: key,
    tags,
    snis: { type: 'array', elements: sniName },
  },
  normalize(input) {
    // Kong returns a certificate's SNI names sorted; a list with a bad name stays as given, so that the
    // error names the position the client sent
    const names = input.snis;
    if (Array.isArray(names) && names.every((s) => typeof s === 'string' && checkWildcardSni(s) === null))
      input.snis = [...names].sort();
    return input;
  },
  check: checkCertificateEntity,
};
