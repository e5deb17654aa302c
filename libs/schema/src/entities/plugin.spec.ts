import type { FieldDef } from '../fields';
import { validatePlugin, type PluginDefinition } from './plugin';
import { fieldsOf } from '../testing/violations';

const limits: PluginDefinition = {
  name: 'limits',
  config: {
    type: 'record',
    fields: {
      minute: { type: 'integer', between: [0, 1000] },
      policy: { type: 'string', default: 'local', oneOf: ['local', 'redis'] },
      redis: { type: 'record', fields: { host: { type: 'string' }, port: { type: 'integer', default: 6379 } } },
    },
    check: (c) => (c.minute === null ? { '@entity': ["at least one of these fields must be non-empty: 'config.minute'"] } : null),
  } as Extract<FieldDef, { type: 'record' }>,
  noConsumer: true,
};
const lookup = (name: string) => (name === 'limits' ? limits : undefined);

describe('plugins entity', () => {
  it('fills the config defaults from the plugin schema', () => {
    const p = validatePlugin({ name: 'limits', config: { minute: 5 } }, 'create', lookup);
    expect(p.config).toEqual({ minute: 5, policy: 'local', redis: { host: null, port: 6379 } });
    expect(p).toMatchObject({ enabled: true, protocols: ['grpc', 'grpcs', 'http', 'https'], route: null });
  });

  it("names an unknown plugin with Kong's message", () => {
    expect(fieldsOf(() => validatePlugin({ name: 'nope' }, 'create', lookup))).toEqual({
      name: "plugin 'nope' not enabled; add it to the 'plugins' configuration property",
    });
  });

  it('reports config field errors under config and config-wide rules at the top level, as Kong does', () => {
    expect(fieldsOf(() => validatePlugin({ name: 'limits', config: { minute: 5000 } }, 'create', lookup))).toEqual({
      config: { minute: 'value should be between 0 and 1000' },
    });
    expect(fieldsOf(() => validatePlugin({ name: 'limits', config: {} }, 'create', lookup))).toEqual({
      '@entity': ["at least one of these fields must be non-empty: 'config.minute'"],
    });
  });

  it('refuses a consumer on a plugin that cannot be scoped to one', () => {
    const consumer = { id: '7d2a3b0e-1c1e-4a8e-9f0e-1b2c3d4e5f60' };
    expect(fieldsOf(() => validatePlugin({ name: 'limits', consumer, config: { minute: 1 } }, 'create', lookup))).toEqual({
      consumer: 'value must be null',
    });
  });

  it('merges a PATCHed config into the stored one, field by field', () => {
    const stored = validatePlugin({ name: 'limits', config: { minute: 5, redis: { host: 'r1' } } }, 'create', lookup);
    const patched = validatePlugin({ config: { redis: { port: 6380 } } }, 'update', lookup, { existing: stored as unknown as Record<string, unknown> });
    expect(patched.config).toEqual({ minute: 5, policy: 'local', redis: { host: 'r1', port: 6380 } });
  });
});
