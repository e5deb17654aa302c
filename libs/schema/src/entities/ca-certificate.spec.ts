import { validateEntity } from '../entity';
import { caCertificateSchema } from './ca-certificate';
import type { CaCertificate } from './ca-certificate';
import { makeCert, opensslSha256 } from '../testing/test-certs';
import { fieldsOf } from '../testing/violations';

const create = (input: Record<string, unknown>) =>
  validateEntity<Record<string, unknown>>(caCertificateSchema, input, 'create', { now: 1700000000 });

/** what the Admin API stores: the validated entity after the schema's beforeStore */
function store(input: Record<string, unknown>): CaCertificate {
  const entity = create(input);
  return (caCertificateSchema.beforeStore?.(entity, null) ?? entity) as unknown as CaCertificate;
}

const ca = makeCert({ ca: true });
const leaf = makeCert({ ca: false });

describe('ca_certificates schema', () => {
  afterEach(() => jest.useRealTimers());

  it('stores a CA certificate with the sha256 digest of its DER, as openssl computes it', () => {
    const stored = store({ cert: ca.cert, tags: ['internal'] });
    expect(stored).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      created_at: 1700000000,
      updated_at: 1700000000,
      cert: ca.cert,
      cert_digest: opensslSha256(ca.cert),
      tags: ['internal'],
    });
    expect(stored.cert_digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('derives the digest even when the client sends one', () => {
    expect(store({ cert: ca.cert, cert_digest: 'forged' }).cert_digest).toBe(opensslSha256(ca.cert));
  });

  it('refuses a certificate without the CA basic constraint', () => {
    expect(fieldsOf(() => create({ cert: leaf.cert }))).toEqual({
      '@entity': ['certificate does not appear to be a CA because it is missing the "CA" basic constraint'],
    });
  });

  it('refuses more than one certificate at a time', () => {
    expect(fieldsOf(() => create({ cert: ca.cert + leaf.cert }))).toEqual({
      '@entity': ['please submit only one certificate at a time'],
    });
  });

  it('refuses an expired certificate', () => {
    jest.useFakeTimers({ now: Date.now() + 5 * 86400 * 1000 });
    expect(fieldsOf(() => create({ cert: ca.cert }))).toEqual({
      '@entity': ['certificate expired, "Not After" time is in the past'],
    });
  });

  it('says the PEM is not a certificate', () => {
    expect(fieldsOf(() => create({ cert: 'garbage' }))).toEqual({ cert: expect.stringMatching(/^invalid certificate: ./) });
    expect(fieldsOf(() => create({}))).toEqual({ cert: 'required field missing' });
  });

  it('is unique on its digest, under /ca_certificates', () => {
    expect(caCertificateSchema).toMatchObject({ adminPath: 'ca_certificates', uniques: [['cert_digest']], endpointKey: null });
  });
});
