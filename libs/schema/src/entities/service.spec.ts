import { violationOf } from '../testing/violations';
import { validateEntity } from '../entity';
import { serviceSchema } from './service';

const create = (input: Record<string, unknown>, fromForm = false) =>
  validateEntity<Record<string, unknown>>(serviceSchema, input, 'create', { fromForm, now: 1700000000 });


describe('services schema', () => {
  it("fills in Kong's defaults", () => {
    const s = create({ host: 'example.test' });
    expect(s).toMatchObject({
      protocol: 'http',
      port: 80,
      path: null,
      retries: 5,
      connect_timeout: 60000,
      write_timeout: 60000,
      read_timeout: 60000,
      enabled: true,
      name: null,
      tags: null,
      created_at: 1700000000,
      updated_at: 1700000000,
    });
    expect(s.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['http://service.test/', { protocol: 'http', host: 'service.test', port: 80, path: '/' }],
    ['http://example.test:443', { protocol: 'http', host: 'example.test', port: 443, path: null }],
    ['https://example.test', { protocol: 'https', host: 'example.test', port: 443, path: null }],
    ['example.test:443/x', { protocol: 'https', host: 'example.test', port: 443, path: '/x' }],
    ['http://127.0.0.1:8080', { protocol: 'http', host: '127.0.0.1', port: 8080, path: null }],
  ])('expands the url shorthand %s', (url, expected) => {
    const s = create({ url });
    expect(s).toMatchObject(expected);
    expect(s).not.toHaveProperty('url');
  });

  it('coerces form strings by the schema (port "8080" -> 8080, enabled "false" -> false)', () => {
    expect(create({ host: 'a.test', port: '8080', enabled: 'false' }, true)).toMatchObject({ port: 8080, enabled: false });
  });

  it('names the field when the port is out of range', () => {
    const err = violationOf(() => create({ host: 'a.test', port: 70000 }));
    expect(err.status).toBe(400);
    expect(err.toBody()).toEqual({
      code: 2,
      name: 'schema violation',
      message: 'schema violation (port: value should be between 0 and 65535)',
      fields: { port: 'value should be between 0 and 65535' },
    });
  });

  it('rejects an unknown field and a wrong type together, counting both', () => {
    const err = violationOf(() => create({ host: 'a.test', colour: 'red', retries: 'many' }));
    expect(err.message).toBe('2 schema violations (colour: unknown field; retries: expected an integer)');
    expect(err.fields).toEqual({ colour: 'unknown field', retries: 'expected an integer' });
  });

  it('requires a host', () => {
    expect(violationOf(() => create({ name: 'x' })).fields).toEqual({ host: 'required field missing' });
  });

  it('rejects names with spaces as Kong does', () => {
    expect(violationOf(() => create({ host: 'a.test', name: 'a b' })).fields).toEqual({
      name: "invalid value 'a b': it must only contain alphanumeric and '., -, _, ~' characters",
    });
  });

  it('keeps id and created_at on PATCH and merges the change', () => {
    const s = create({ host: 'a.test', name: 'svc' });
    const u = validateEntity<Record<string, unknown>>(serviceSchema, { port: 81 }, 'update', { existing: s, now: 1700000100 });
    expect(u).toMatchObject({ id: s.id, created_at: 1700000000, updated_at: 1700000100, name: 'svc', port: 81 });
  });
});
