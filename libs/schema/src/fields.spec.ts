import type { FieldDef } from './fields';
import { validateValue } from './fields';

describe('field DSL: floats, bounds, string lengths, record checks and shorthands', () => {
  const limit: FieldDef = { type: 'number', gt: 0 };

  it('accepts a float where Kong has a number field', () => {
    expect(validateValue(limit, 0.5)).toEqual({ value: 0.5 });
  });

  it("rejects a non-number with Kong's message", () => {
    expect(validateValue(limit, '5')).toEqual({ error: 'expected a number' });
    expect(validateValue(limit, Number.NaN)).toEqual({ error: 'expected a number' });
  });

  it("rejects a number not greater than gt with Kong's message", () => {
    expect(validateValue(limit, 0)).toEqual({ error: 'value must be greater than 0' });
    expect(validateValue({ type: 'integer', gt: 0 }, -1)).toEqual({ error: 'value must be greater than 0' });
  });

  it('applies between to floats', () => {
    const pct: FieldDef = { type: 'number', between: [0, 100] };
    expect(validateValue(pct, 12.5)).toEqual({ value: 12.5 });
    expect(validateValue(pct, 100.5)).toEqual({ error: 'value should be between 0 and 100' });
  });

  it('coerces form strings to floats', () => {
    expect(validateValue(limit, '2.5', true)).toEqual({ value: 2.5 });
  });

  it('allows an empty string only when len_min is 0', () => {
    expect(validateValue({ type: 'string' }, '')).toEqual({ error: 'length must be at least 1' });
    expect(validateValue({ type: 'string', len_min: 0 }, '')).toEqual({ value: '' });
  });

  it('bounds string length with len_max', () => {
    expect(validateValue({ type: 'string', len_max: 3 }, 'abcd')).toEqual({ error: 'length must be at most 3' });
  });

  it('reports a record check message on the record itself', () => {
    const rec: FieldDef = {
      type: 'record',
      fields: { a: { type: 'integer' }, b: { type: 'integer' } },
      check: (v) => ((v.b as number) < (v.a as number) ? 'b cannot be lower than a' : null),
    };
    expect(validateValue(rec, { a: 2, b: 1 })).toEqual({ error: 'b cannot be lower than a' });
  });

  describe('shorthands', () => {
    const conf: FieldDef = {
      type: 'record',
      fields: {
        redis: {
          type: 'record',
          fields: { host: { type: 'string' }, port: { type: 'integer', default: 6379 } },
        },
      },
      shorthands: {
        redis_host: (v) => ({ redis: { host: v } }),
        redis_port: (v) => ({ redis: { port: v } }),
      },
    };

    it('expands a flat alias into the nested field, merging with what is given', () => {
      expect(validateValue(conf, { redis_host: 'cache', redis: { port: 7000 } })).toEqual({
        value: { redis: { host: 'cache', port: 7000 } },
      });
    });

    it('names the real field when an expanded value is bad', () => {
      expect(validateValue(conf, { redis_port: 'x' })).toEqual({ error: { redis: { port: 'expected an integer' } } });
    });

    it('coerces expanded form values by the real field', () => {
      expect(validateValue(conf, { redis_port: '7000' }, true)).toEqual({ value: { redis: { host: null, port: 7000 } } });
    });
  });
});
