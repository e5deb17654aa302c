import { configHash, emptyConfig } from './canonical';
import { caCertificateSchema, type CaCertificate } from './entities/ca-certificate';
import { certificateSchema, type Certificate } from './entities/certificate';
import { consumerSchema, type Consumer } from './entities/consumer';
import { aclSchema, basicAuthHash, basicAuthSchema, jwtSecretSchema, keyAuthSchema } from './entities/credentials';
import { validatePlugin, type PluginDefinition } from './entities/plugin';
import { routeSchema } from './entities/route';
import { serviceSchema } from './entities/service';
import { sniSchema } from './entities/sni';
import { targetSchema } from './entities/target';
import { makeCert } from './testing/test-certs';
import { upstreamSchema } from './entities/upstream';
import { validateEntity, type EntitySchema } from './entity';
import type { ConfigSet, Route, Service } from './types';
import { validateConfig } from './validate-config';
import { checkReferences, type Collections } from './config-integrity';

const NOW = 1_700_000_000;
const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const counter: PluginDefinition = {
  name: 'counter',
  config: { type: 'record', fields: { limit: { type: 'integer', default: 10 }, ratio: { type: 'number', default: 0.5 } } },
};
const lookup = (name: string) => (name === 'counter' ? counter : undefined);

/** What the Admin API stores: validated, then the schema's beforeStore (a hashed password, a digest). */
function stored<T>(schema: EntitySchema, input: Record<string, unknown>): T {
  const e = validateEntity(schema, input, 'create', { now: NOW });
  return (schema.beforeStore ? schema.beforeStore(e, null) : e) as T;
}

function whole(): ConfigSet {
  const leaf = makeCert({ keyType: 'ec' });
  const ca = makeCert({ ca: true });
  const certificate = stored<Certificate>(certificateSchema, { id: ID(1), cert: leaf.cert, key: leaf.key });
  const caCert = stored<CaCertificate>(caCertificateSchema, { id: ID(2), cert: ca.cert });
  const service = stored<Service>(serviceSchema, {
    id: ID(3), url: 'https://billing.internal', client_certificate: { id: ID(1) }, ca_certificates: [ID(2)],
  });
  const route = stored<Route>(routeSchema, { id: ID(4), paths: ['/b'], service: { id: ID(3) } });
  const consumer = stored<Consumer>(consumerSchema, { id: ID(5), username: 'alice' });
  const consumerRef = { consumer: { id: ID(5) } };
  return {
    ...emptyConfig(),
    certificates: [certificate],
    ca_certificates: [caCert],
    snis: [stored(sniSchema, { id: ID(6), name: 'api.example.test', certificate: { id: ID(1) } })],
    services: [service],
    routes: [route],
    consumers: [consumer],
    upstreams: [stored(upstreamSchema, { id: ID(7), name: 'billing.internal', client_certificate: { id: ID(1) } })],
    targets: [stored(targetSchema, { id: ID(8), target: '10.0.0.1', upstream: { id: ID(7) } })],
    plugins: [validatePlugin({ id: ID(9), name: 'counter', route: { id: ID(4) }, ...consumerRef }, 'create', lookup, { now: NOW })],
    keyauth_credentials: [stored(keyAuthSchema, { id: ID(10), key: 'k-alice', ...consumerRef })],
    basicauth_credentials: [stored(basicAuthSchema, { id: ID(11), username: 'alice', password: 's3cret', ...consumerRef })],
    jwt_secrets: [stored(jwtSecretSchema, { id: ID(12), key: 'iss-alice', ...consumerRef })],
    acls: [stored(aclSchema, { id: ID(13), group: 'admins', ...consumerRef })],
  };
}

function problemsOf(config: Partial<ConfigSet>): string {
  try {
    validateConfig(config, lookup);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('validateConfig', () => {
  afterEach(() => jest.useRealTimers());

  it('accepts a whole config of every kind and gives back the same entities (re-validation is idempotent)', () => {
    const config = whole();
    const valid = validateConfig(config, lookup);
    expect(valid).toEqual(config);
    expect(configHash(validateConfig(valid, lookup))).toBe(configHash(config));
  });

  it('keeps a basic-auth password as the stored hash rather than hashing it again', () => {
    const [cred] = validateConfig(whole(), lookup).basicauth_credentials;
    expect(cred.password).toBe(basicAuthHash('s3cret', ID(5)));
  });

  it('treats a collection that is absent as empty', () => {
    expect(validateConfig({ services: [] }, lookup)).toEqual(emptyConfig());
  });

  it('names every dangling reference of every kind at once', () => {
    const config = whole();
    const message = problemsOf({ ...config, certificates: [], ca_certificates: [], consumers: [], upstreams: [], services: [] });
    for (const expected of [
      `routes ${ID(4)}: service ${ID(3)} does not exist`,
      `snis ${ID(6)}: certificate ${ID(1)} does not exist`,
      `targets ${ID(8)}: upstream ${ID(7)} does not exist`,
      `plugins ${ID(9)}: consumer ${ID(5)} does not exist`,
      `keyauth_credentials ${ID(10)}: consumer ${ID(5)} does not exist`,
      `basicauth_credentials ${ID(11)}: consumer ${ID(5)} does not exist`,
      `jwt_secrets ${ID(12)}: consumer ${ID(5)} does not exist`,
      `acls ${ID(13)}: consumer ${ID(5)} does not exist`,
    ])
      expect(message).toContain(expected);
    const noCerts = problemsOf({ ...config, certificates: [], snis: [], ca_certificates: [] });
    expect(noCerts).toContain(`services ${ID(3)}: client_certificate ${ID(1)} does not exist`);
    expect(noCerts).toContain(`upstreams ${ID(7)}: client_certificate ${ID(1)} does not exist`);
    expect(noCerts).toContain(`services ${ID(3)}: ca_certificate ${ID(2)} does not exist`);
    expect(problemsOf({ ...config, routes: [] })).toContain(`plugins ${ID(9)}: route ${ID(4)} does not exist`);
  });

  it('checks plugin configs with the schema the caller looks up, and names a plugin it does not know', () => {
    const config = whole();
    const [plugin] = config.plugins;
    expect(problemsOf({ ...config, plugins: [{ ...plugin, config: { ...plugin.config, limit: 'ten' } }] })).toMatch(
      new RegExp(`plugins ${ID(9)}: schema violation \\(config.limit: expected an integer\\)`),
    );
    expect(() => validateConfig(config, () => undefined)).toThrow(/plugin 'counter' not enabled/);
  });

  it('refuses two credentials with one key and two plugins of one name on the same scope', () => {
    const config = whole();
    const [key] = config.keyauth_credentials;
    const [plugin] = config.plugins;
    const message = problemsOf({
      ...config,
      keyauth_credentials: [key, { ...key, id: ID(20) }],
      plugins: [plugin, { ...plugin, id: ID(21) }],
    });
    expect(message).toContain(`keyauth_credentials ${ID(20)}: key "k-alice" already used by ${ID(10)}`);
    expect(message).toMatch(new RegExp(`plugins ${ID(21)}: name, route, service, consumer .* already used by ${ID(9)}`));
  });

  it('lets entities share a null unique field: plugins without instance_name, consumers without custom_id', () => {
    const config = whole();
    const [plugin] = config.plugins;
    const [alice] = config.consumers;
    const global = { ...plugin, id: ID(22), route: null, consumer: null };
    const bob = { ...alice, id: ID(23), username: 'bob' };
    expect(() => validateConfig({ ...config, plugins: [plugin, global], consumers: [alice, bob] }, lookup)).not.toThrow();
  });

  it('still accepts a CA certificate that expired after it was stored', () => {
    const config = whole();
    jest.useFakeTimers({ now: Date.now() + 5 * 86400 * 1000 });
    expect(validateConfig(config, lookup).ca_certificates).toEqual(config.ca_certificates);
  });

  it('publishes a certificate without its write-only snis (the snis collection says which names point at it)', () => {
    const config = whole();
    const withNames = { ...config.certificates[0], snis: ['api.example.test'] };
    expect(validateConfig({ ...config, certificates: [withNames] }, lookup).certificates[0].snis).toBeNull();
  });

  it('refuses duplicate ids, bad entities and collections that are not lists, all in one message', () => {
    const config = whole();
    const message = problemsOf({
      ...config,
      services: [...config.services, config.services[0]],
      upstreams: [{ ...config.upstreams[0], slots: 1 }],
      acls: 'nope' as never,
    });
    expect(message).toContain(`services ${ID(3)}: duplicate id`);
    expect(message).toContain(`upstreams ${ID(7)}: schema violation (slots: value should be between 10 and 65536)`);
    expect(message).toContain('acls: expected an array');
  });
});

describe('checkReferences', () => {
  it('gathers the ids of a large collection a few hundred per step, not in one', () => {
    const consumers = Array.from({ length: 3000 }, (_, i) => ({ id: ID(i + 1) }));
    const problems: string[] = [];
    const gen = checkReferences({ ...emptyConfig(), consumers } as unknown as Collections, problems);
    let steps = 0;
    while (!gen.next().done) steps++;
    // a step per entity checked, and at least one per 500 ids gathered
    expect(steps).toBeGreaterThanOrEqual(3000 + 3000 / 500);
    expect(problems).toEqual([]);
  });
});
