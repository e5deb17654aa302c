// The ca_certificates entity (kong/db/schema/entities/ca_certificates.lua): trusted CAs that services
// verify upstream certificates against. `cert_digest` is derived, never taken from the client.
import type { EntitySchema } from '../entity';
import { certificateDigest, checkCertificate, countCertificates, isCaCertificate, isExpired } from './pem';
import { id, tags, timestamp } from './typedefs';

export interface CaCertificate {
  id: string;
  created_at: number;
  updated_at: number;
  cert: string;
  /** sha256 of the certificate's DER, lower-case hex (unique) */
  cert_digest: string;
  tags: string[] | null;
}

export const caCertificateSchema: EntitySchema = {
  name: 'ca_certificates',
  adminPath: 'ca_certificates',
  endpointKey: null,
  uniques: [['cert_digest']],
  fields: {
    id,
    created_at: timestamp,
    updated_at: timestamp,
    cert: { type: 'string', required: true, check: checkCertificate },
    cert_digest: { type: 'string' },
    tags,
  },
  check(ca) {
    const pem = ca.cert as string;
    let message: string | null = null;
    if (countCertificates(pem) > 1) message = 'please submit only one certificate at a time';
    else if (isExpired(pem)) message = 'certificate expired, "Not After" time is in the past';
    else if (!isCaCertificate(pem))
      message = 'certificate does not appear to be a CA because it is missing the "CA" basic constraint';
    return message ? { '@entity': [message] } : null;
  },
  beforeStore(entity) {
    return { ...entity, cert_digest: certificateDigest(entity.cert as string) };
  },
};
