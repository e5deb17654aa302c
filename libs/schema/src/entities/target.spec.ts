import { validateEntity } from '../entity';
import { targetSchema } from './target';
import type { Target } from './target';
import { fieldsOf } from '../testing/violations';

const upstream = { id: 'cbb297c0-a956-486d-ad1d-f9b42df9465a' };
const create = (input: Record<string, unknown>, fromForm = false) =>
  validateEntity<Target>(targetSchema, { upstream, ...input }, 'create', { fromForm, now: 1700000000 });

describe('targets schema', () => {
  it("fills in Kong's defaults (weight 100) and the default port 8000", () => {
    expect(create({ target: '1.2.3.4' })).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      created_at: 1700000000,
      updated_at: 1700000000,
      upstream,
      target: '1.2.3.4:8000',
      weight: 100,
      tags: null,
      zone: null,
    });
  });

  it.each([
    ['valid.name', 'valid.name:8000'],
    ['valid.name:8080', 'valid.name:8080'],
    ['12.34.56.78', '12.34.56.78:8000'],
    ['1.2.3.4:123', '1.2.3.4:123'],
    ['::1', '[0000:0000:0000:0000:0000:0000:0000:0001]:8000'],
    ['[::1]', '[0000:0000:0000:0000:0000:0000:0000:0001]:8000'],
    ['[2001:DB8::1]:80', '[2001:0db8:0000:0000:0000:0000:0000:0001]:80'],
  ])('stores %s as %s, as Kong does', (target, stored) => {
    expect(create({ target }).target).toBe(stored);
  });

  it.each(['\\\\bad\\\\////name////', '1.2.3.300', 'a.test:70000', '[::1]x', 'two words'])(
    'refuses %s with Kong\'s message',
    (target) => {
      expect(fieldsOf(() => create({ target }))).toEqual({
        target: `Invalid target ('${target}'); not a valid hostname or ip address`,
      });
    },
  );

  it('requires the upstream and the target', () => {
    const fields = fieldsOf(() => validateEntity(targetSchema, {}, 'create'));
    expect(fields).toEqual({ upstream: 'required field missing', target: 'required field missing' });
  });

  it('bounds the weight to 0..65535 and coerces it from a form', () => {
    expect(create({ target: 'a.test', weight: '0' }, true).weight).toBe(0);
    expect(fieldsOf(() => create({ target: 'a.test', weight: 65536 }))).toEqual({
      weight: 'value should be between 0 and 65535',
    });
  });

  it('takes a zone (Archway extension)', () => {
    expect(create({ target: 'a.test', zone: 'eu-west-1a' }).zone).toBe('eu-west-1a');
  });

  it('normalises a changed target on PATCH too', () => {
    const t = create({ target: 'a.test' });
    const u = validateEntity<Target>(targetSchema, { target: 'b.test' }, 'update', { existing: { ...t }, now: 1700000001 });
    expect(u).toMatchObject({ id: t.id, target: 'b.test:8000', weight: 100 });
  });

  it('is unique per upstream and target, cascades with its upstream, nests under it', () => {
    expect(targetSchema).toMatchObject({
      name: 'targets',
      nestedPath: 'targets',
      endpointKey: 'target',
      uniques: [['upstream', 'target']],
    });
    expect(targetSchema.fields.upstream).toMatchObject({ reference: 'upstreams', required: true, onDelete: 'cascade' });
  });
});
