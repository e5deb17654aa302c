import { validateEntity } from '../entity';
import { certificateSchema } from './certificate';
import type { Certificate } from './certificate';
import { makeCert } from '../testing/test-certs';
import { fieldsOf } from '../testing/violations';

const create = (input: Record<string, unknown>, fromForm = false) =>
  validateEntity<Certificate>(certificateSchema, input, 'create', { fromForm, now: 1700000000 });

const rsa = makeCert({ keyType: 'rsa' });
const rsa2 = makeCert({ keyType: 'rsa', tag: 'other' });
const ec = makeCert({ keyType: 'ec' });

describe('certificates schema', () => {
  it('stores a certificate with its key, the alternative pair and snis null', () => {
    expect(create({ cert: rsa.cert, key: rsa.key })).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      created_at: 1700000000,
      updated_at: 1700000000,
      cert: rsa.cert,
      key: rsa.key,
      cert_alt: null,
      key_alt: null,
      tags: null,
      snis: null,
    });
  });

  it('requires cert and key', () => {
    expect(fieldsOf(() => create({}))).toEqual({ cert: 'required field missing', key: 'required field missing' });
  });

  it('says which of cert and key is not valid PEM, as "invalid certificate: …" / "invalid key: …"', () => {
    const fields = fieldsOf(() => create({ cert: 'not a cert', key: 'not a key' })) as Record<string, string>;
    expect(fields.cert).toMatch(/^invalid certificate: ./);
    expect(fields.key).toMatch(/^invalid key: ./);
  });

  it("refuses a key that is not the certificate's", () => {
    expect(fieldsOf(() => create({ cert: rsa.cert, key: rsa2.key }))).toEqual({
      '@entity': ['certificate does not match key'],
    });
  });

  it('takes an alternative certificate of another key type (RSA + ECDSA)', () => {
    const c = create({ cert: rsa.cert, key: rsa.key, cert_alt: ec.cert, key_alt: ec.key });
    expect(c).toMatchObject({ cert_alt: ec.cert, key_alt: ec.key });
  });

  it('wants both or neither of cert_alt and key_alt', () => {
    expect(fieldsOf(() => create({ cert: rsa.cert, key: rsa.key, key_alt: ec.key }))).toEqual({
      '@entity': ["all or none of these fields must be set: 'cert_alt', 'key_alt'"],
    });
  });

  it("refuses an alternative pair that does not match, or that has the main certificate's key type", () => {
    expect(fieldsOf(() => create({ cert: rsa.cert, key: rsa.key, cert_alt: ec.cert, key_alt: rsa2.key }))).toEqual({
      '@entity': ['alternative certificate does not match key'],
    });
    expect(fieldsOf(() => create({ cert: rsa.cert, key: rsa.key, cert_alt: rsa2.cert, key_alt: rsa2.key }))).toEqual({
      '@entity': [
        'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), ' +
          'the provided certificates were both of the same type',
      ],
    });
  });

  it('takes SNI names as a transient field, sorted, a single form value becoming a list', () => {
    expect(create({ cert: rsa.cert, key: rsa.key, snis: ['foobar.com', 'baz.com'] }).snis).toEqual(['baz.com', 'foobar.com']);
    expect(create({ cert: rsa.cert, key: rsa.key, snis: '*.example.com' }, true).snis).toEqual(['*.example.com']);
    expect(certificateSchema.transient).toEqual(['snis']);
    expect(certificateSchema.endpointKey).toBeNull();
  });

  it('refuses duplicate or invalid SNI names in the request', () => {
    expect(fieldsOf(() => create({ cert: rsa.cert, key: rsa.key, snis: ['foobar.com', 'baz.com', 'foobar.com'] }))).toEqual({
      snis: 'duplicate SNI in request: foobar.com',
    });
    expect(fieldsOf(() => create({ cert: rsa.cert, key: rsa.key, snis: ['ok.com', 'foo.*.com'] }))).toEqual({
      snis: [null, 'wildcard must be leftmost or rightmost character'],
    });
  });
});
