import { validateEntity } from '../entity';
import { sniSchema } from './sni';
import type { Sni } from './sni';
import { fieldsOf } from '../testing/violations';

const certificate = { id: 'cbb297c0-a956-486d-ad1d-f9b42df9465a' };
const create = (name: unknown) => validateEntity<Sni>(sniSchema, { name, certificate }, 'create', { now: 1700000000 });

describe('snis schema', () => {
  it('stores a name pointing at a certificate', () => {
    expect(create('valid.name')).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      created_at: 1700000000,
      updated_at: 1700000000,
      name: 'valid.name',
      certificate,
      tags: null,
    });
  });

  it.each(['*.wildcard.com', 'wildcard.*', 'test.wildcard.*', '*.test.wildcard.com', '*'])('accepts the wildcard %s', (name) => {
    expect(create(name).name).toBe(name);
  });

  it.each([
    ['foo.*.com', 'wildcard must be leftmost or rightmost character'],
    ['wildcard.*:80', 'wildcard must be leftmost or rightmost character'],
    ['*.example.*', 'only one wildcard must be specified'],
    ['*.*.wildcard.*', 'only one wildcard must be specified'],
    ['*.wildcard.com:8000', 'must not have a port'],
    ['valid.name:8000', 'must not have a port'],
    ['test.wildcard.com:*', 'invalid value: test.wildcard.com:wildcard'],
    ['127.0.0.1', 'must not be an IP'],
    ['10.0.0.1:8001', 'must not be an IP'],
    ['::1', 'must not be an IP'],
    ['example^com', 'invalid value: example^com'],
  ])('rejects %s: %s', (name, message) => {
    expect(fieldsOf(() => create(name))).toEqual({ name: message });
  });

  it('requires its certificate and cascades with it', () => {
    expect(fieldsOf(() => validateEntity(sniSchema, { name: 'a.test' }, 'create'))).toEqual({
      certificate: 'required field missing',
    });
    expect(sniSchema).toMatchObject({ name: 'snis', nestedPath: 'snis', endpointKey: 'name' });
    expect(sniSchema.fields.certificate).toMatchObject({ reference: 'certificates', onDelete: 'cascade' });
  });
});
