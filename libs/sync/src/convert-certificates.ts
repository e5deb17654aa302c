// Certificates, SNIs and CA certificates <-> protobuf messages.
import type { CaCertificate, Certificate, Sni } from '@archway/schema';
import type { CaCertificate as CaCertificateMsg, CaCertificate__Output } from './generated/archway/sync/v1/CaCertificate';
import type { Certificate as CertificateMsg, Certificate__Output } from './generated/archway/sync/v1/Certificate';
import type { Sni as SniMsg, Sni__Output } from './generated/archway/sync/v1/Sni';
import { fk, list, nul, opt, stamps, unfkRequired, unlist } from './convert-values';

export function certificateToProto(c: Certificate): CertificateMsg {
  return { ...c, cert_alt: opt(c.cert_alt), key_alt: opt(c.key_alt), tags: list(c.tags), snis: list(c.snis) };
}

export function certificateFromProto(m: Certificate__Output): Certificate {
  return {
    ...stamps(m, 'certificates'),
    cert: m.cert,
    key: m.key,
    cert_alt: nul(m.cert_alt),
    key_alt: nul(m.key_alt),
    tags: unlist(m.tags),
    snis: unlist(m.snis),
  };
}

export function sniToProto(s: Sni): SniMsg {
  return { ...s, certificate: fk(s.certificate), tags: list(s.tags) };
}

export function sniFromProto(m: Sni__Output): Sni {
  return { ...stamps(m, 'snis'), name: m.name, certificate: unfkRequired(m.certificate), tags: unlist(m.tags) };
}

export function caCertificateToProto(c: CaCertificate): CaCertificateMsg {
  return { ...c, cert_digest: opt(c.cert_digest), tags: list(c.tags) };
}

export function caCertificateFromProto(m: CaCertificate__Output): CaCertificate {
  // cert_digest is derived when stored, so it is set in practice; the wire keeps it nullable like the schema
  return { ...stamps(m, 'ca_certificates'), cert: m.cert, cert_digest: nul(m.cert_digest) as string, tags: unlist(m.tags) };
}
