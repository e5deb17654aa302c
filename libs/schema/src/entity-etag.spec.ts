import { entityEtag } from './canonical';

describe('entity ETag', () => {
  it('is the same for the same entity whatever the order of its keys', () => {
    const a = { id: 'x', name: 's', tags: ['a', 'b'], nested: { p: 1, q: null } };
    const b = { nested: { q: null, p: 1 }, tags: ['a', 'b'], name: 's', id: 'x' };
    expect(entityEtag(a)).toBe(entityEtag(b));
    expect(entityEtag(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when any value changes, including the order of a list', () => {
    const base = { id: 'x', port: 80, tags: ['a', 'b'] };
    expect(entityEtag({ ...base, port: 81 })).not.toBe(entityEtag(base));
    expect(entityEtag({ ...base, tags: ['b', 'a'] })).not.toBe(entityEtag(base));
  });
});
