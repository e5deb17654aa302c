import { basicAuthHash, configHash, makeSnapshot, validateConfig, type Upstream } from '@archway/schema';
import { snapshotFromProto, snapshotToProto } from './convert';
import { configSyncService } from './proto';
import { ID, overTheWire, pluginLookup, wholeConfig } from './testing/whole-config';

const config = wholeConfig();
const snapshot = makeSnapshot(7, config);
const byId = <T extends { id: string }>(list: T[], n: number) => list.find((e) => e.id === ID(n)) as T;

describe('snapshot conversion of every entity kind', () => {
  it('a config with entities of every kind survives the wire with the same canonical hash', () => {
    const back = overTheWire(snapshot);
    expect(configHash(back.config)).toBe(snapshot.hash);
    expect(back.config).toEqual(config);
    for (const [kind, list] of Object.entries(config)) expect([kind, (list as unknown[]).length > 0]).toEqual([kind, true]);
  });

  it('what arrives validates as it is, so the data plane accepts what the control plane built', () => {
    const back = overTheWire(snapshot);
    const again = validateConfig(back.config, pluginLookup);
    expect(again).toEqual(config);
    expect(configHash(again)).toBe(snapshot.hash);
  });

  it('a nested plugin config keeps integers, fractions, nulls, lists and empty maps exactly', () => {
    const plugin = byId(overTheWire(snapshot).config.plugins, 30);
    expect(plugin.config).toEqual({
      minute: 120, burst_ratio: 1.5, policy: 'local',
      redis: { host: 'redis.internal', port: 6379, timeout: 0.25, ssl: false },
      limits: [{ path: '/a', per_second: 0.1 }, { path: '/b', per_second: 1e-7 }],
      header_weights: {}, hide_client_headers: false, fault_tolerant: true,
    });
    expect(Number.isInteger(plugin.config.minute)).toBe(true);
    expect(byId(overTheWire(snapshot).config.plugins, 31).config).toMatchObject({ redis: { host: null }, limits: [], header_weights: null });
  });

  it('plugin config values a Struct cannot tell apart from JSON still hash the same (60 vs 60.0, -0, deep nulls)', () => {
    const [plugin] = config.plugins;
    const odd = { ...plugin, config: { ...plugin.config, minute: 60.0, burst_ratio: -0, header_weights: { a: 2 ** 40 + 0.5 } } };
    const s = makeSnapshot(8, { ...config, plugins: [odd, config.plugins[1]] });
    expect(configHash(overTheWire(s).config)).toBe(s.hash);
  });

  it('an upstream keeps non-default healthchecks and its circuit breaker, and null records stay null', () => {
    const [tuned, plain] = [20, 21].map((n) => byId(overTheWire(snapshot).config.upstreams, n));
    expect(tuned.healthchecks.active).toMatchObject({ type: 'https', timeout: 2.5, https_sni: 'billing.internal', headers: { 'x-probe': ['archway', 'v2'] } });
    expect(tuned.healthchecks.active.unhealthy.interval).toBe(0.5);
    expect(tuned.healthchecks.threshold).toBe(33.3);
    expect(tuned.circuit_breaker).toEqual({ enabled: true, failure_threshold: 20, failure_ratio: 0.25, window: 30, cool_down: 12.5, half_open_requests: 3 });
    expect(plain.healthchecks.active.headers).toBeNull();
    expect(plain.hash_on_header).toBeNull();

    const nulled = { ...plain, healthchecks: { ...plain.healthchecks, passive: null }, circuit_breaker: null } as unknown as Upstream;
    const s = makeSnapshot(9, { ...config, upstreams: [tuned, nulled] });
    const back = byId(overTheWire(s).config.upstreams, 21);
    expect(back.circuit_breaker).toBeNull();
    expect(back.healthchecks.passive).toBeNull();
    expect(configHash(overTheWire(s).config)).toBe(s.hash);
  });

  it('credentials arrive as stored: the basic-auth password hashed, ttl and the RSA key where set', () => {
    const back = overTheWire(snapshot).config;
    expect(back.basicauth_credentials[0].password).toBe(basicAuthHash('open sesame', ID(10)));
    expect([byId(back.keyauth_credentials, 40).ttl, byId(back.keyauth_credentials, 41).ttl]).toEqual([3600, null]);
    expect(byId(back.jwt_secrets, 44).rsa_public_key).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(byId(back.jwt_secrets, 43).rsa_public_key).toBeNull();
    expect(byId(back.consumers, 11)).toMatchObject({ username: null, custom_id: 'crm-42', tags: null });
    expect(byId(back.consumers, 10).tags).toEqual([]);
  });

  it('certificates keep their PEMs and alternative pair, CA certificates their digest', () => {
    const back = overTheWire(snapshot).config;
    expect(back.certificates[0].cert).toBe(config.certificates[0].cert);
    expect(back.certificates[0].key_alt).toBe(config.certificates[0].key_alt);
    expect(back.certificates[0].snis).toBeNull();
    expect(back.ca_certificates[0].cert_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(back.snis[0]).toMatchObject({ name: '*.example.test', certificate: { id: ID(1) } });
    expect(byId(back.targets, 23)).toMatchObject({ target: '[0000:0000:0000:0000:0000:0000:0000:0001]:9000', zone: null });
  });

  it('a credential whose consumer is missing on the wire comes back null and validation names it', () => {
    const msg = snapshotToProto(snapshot);
    const broken = { ...msg, acls: msg.acls?.map((a) => ({ ...a, consumer: undefined })) };
    const def = configSyncService().StreamConfig;
    const decoded = def.responseDeserialize(def.responseSerialize({ snapshot: broken })).snapshot;
    if (!decoded) throw new Error('snapshot missing on the wire');
    const back = snapshotFromProto(decoded).config;
    expect(back.acls[0].consumer).toBeNull();
    expect(() => validateConfig(back, pluginLookup)).toThrow(new RegExp(`acls ${ID(45)}: schema violation \\(consumer: required field missing\\)`));
  });
});
