// Bodies the fuzz test (test/e2e/admin-fuzz.e2e.ts) found mishandled: text Postgres cannot store, and
// form keys that named Object.prototype.
import { decodeForm } from './arguments-decoder';
import { PROTO_MESSAGE, UNSTORABLE_MESSAGE, unstorableText } from './storable-text';

describe('text Postgres cannot store', () => {
  it.each([
    ['a NUL character', { username: 'a\u0000b' }, 'username'],
    ['a lone high surrogate', { username: 'x\ud800' }, 'username'],
    ['a lone low surrogate deep in a record', { config: { a: [{ b: '\udc00' }] } }, 'config'],
    ['a NUL in a key', { config: { 'k\u0000': 1 } }, 'config'],
    ['a lone surrogate as a top-level key', { '\ud800': 1 }, '\ud800'],
  ])('is refused as a schema violation naming the field: %s', (_, body, field) => {
    const err = unstorableText(body as Record<string, unknown>);
    expect(err?.toBody()).toEqual({ code: 2, name: 'schema violation', message: `schema violation (${field}: ${UNSTORABLE_MESSAGE})`, fields: { [field]: UNSTORABLE_MESSAGE } });
    expect(err?.status).toBe(400);
  });

  it('accepts astral characters written as surrogate pairs, and ordinary text', () => {
    expect(unstorableText({ name: '😀 𝕏 ü', tags: ['ﬃ'], config: { a: '\ud83d\ude00' } })).toBeNull();
  });

  it('walks bodies nested 100000 levels deep without overflowing the stack', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(unstorableText({ config: deep })?.status).toBe(400);
  });
});

describe('form keys naming Object.prototype', () => {
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).polluted;
    delete (Object.prototype as Record<string, unknown>).bad;
  });

  it('__proto__.x= and constructor.prototype.x= stay plain keys of the body and never reach Object.prototype', () => {
    const tree = decodeForm('__proto__.polluted=1&constructor.prototype.bad=2&__proto__[]=3');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).bad).toBeUndefined();
    expect(Object.keys(tree).sort()).toEqual(['__proto__', 'constructor']);
    expect(JSON.parse(JSON.stringify(tree)).constructor).toEqual({ prototype: { bad: '2' } });
  });
});

describe('__proto__ keys in a body', () => {
  it('a top-level __proto__ (as JSON.parse makes it) is an unknown field, reported by name', () => {
    const err = unstorableText(JSON.parse('{"host":"a.test","__proto__":{"tags":["x"]}}'));
    expect(err?.message).toBe('schema violation (__proto__: unknown field)');
    expect(JSON.stringify(err?.toBody().fields)).toBe('{"__proto__":"unknown field"}');
  });

  it('a nested __proto__ is refused under its top-level field', () => {
    expect(unstorableText(JSON.parse('{"config":{"a":{"__proto__":{"x":1}}}}'))?.toBody().fields).toEqual({ config: PROTO_MESSAGE });
  });
});
