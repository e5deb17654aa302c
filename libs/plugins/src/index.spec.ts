import { BUNDLED_PLUGINS, pluginSchema } from './index';

describe('bundled plugins', () => {
  it("lists every plugin in execution order with Kong's priorities", () => {
    expect([...BUNDLED_PLUGINS.values()].map((p) => [p.name, p.priority])).toEqual([
      ['correlation-id', 100001],
      ['cors', 2000],
      ['jwt', 1450],
      ['key-auth', 1250],
      ['basic-auth', 1100],
      ['ip-restriction', 990],
      ['request-size-limiting', 951],
      ['acl', 950],
      ['rate-limiting', 910],
      ['request-transformer', 801],
      ['response-transformer', 800],
      ['external', 750],
      ['proxy-cache', 100],
      ['canary', 20],
      ['opentelemetry', 14],
      ['http-log', 12],
      ['file-log', 9],
      ['request-termination', 2],
    ]);
  });

  it('finds a schema by name, and nothing for an unknown name', () => {
    expect(pluginSchema('key-auth')?.config.fields.key_names).toBeDefined();
    expect(pluginSchema('nope')).toBeUndefined();
  });

  it('gives every plugin a version and a config record', () => {
    for (const p of BUNDLED_PLUGINS.values()) {
      expect(p.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(p.config.type).toBe('record');
    }
  });
});
