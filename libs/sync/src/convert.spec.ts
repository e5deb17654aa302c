import { configHash, emptyConfig, makeSnapshot, routeSchema, serviceSchema, validateEntity, type ConfigSet, type EntitySchema, type Route, type Service } from '@archway/schema';
import { configSyncService } from './proto';
import { snapshotFromProto, snapshotToProto } from './convert';

const SVC_A = '0b7f2a5e-8a4f-4f59-9d3e-4a1f5b2c9d01';
const SVC_B = '1c8e3b6f-9b5a-4a6a-8e4f-5b2a6c3d0e12';
const CERT = '2d9f4c7a-ac6b-4b7b-9f5a-6c3b7d4e1f23';
const CA = '3ea05d8b-bd7c-4c8c-8a6b-7d4c8e5f2a34';

function service(over: Partial<Service>): Service {
  return {
    id: SVC_A, created_at: 1_700_000_000, updated_at: 1_700_000_100, name: null, protocol: 'http', host: 'example.com',
    port: 80, path: null, retries: 5, connect_timeout: 60000, write_timeout: 60000, read_timeout: 60000, tags: null,
    client_certificate: null, tls_verify: null, tls_verify_depth: null, ca_certificates: null, enabled: true, ...over,
  };
}

function route(over: Partial<Route>): Route {
  return {
    id: '4fb16e9c-ce8d-4d9d-9b7c-8e5d9f6a3b45', created_at: 1_700_000_200, updated_at: 1_700_000_300, name: null,
    protocols: ['http', 'https'], methods: null, hosts: null, paths: null, headers: null, https_redirect_status_code: 426,
    regex_priority: 0, strip_path: true, path_handling: 'v0', preserve_host: false, request_buffering: true,
    response_buffering: true, snis: null, sources: null, destinations: null, tags: null, service: null, ...over,
  };
}

// Realistic: every entity goes through the same validation the Admin API uses, so shapes are what the
// control plane actually publishes (absent optionals null, defaults filled, headers lower-cased). The
// references to certificates do not resolve here: convert-entities.spec.ts covers a whole, valid config.
const valid = <T>(schema: EntitySchema) => (e: T): T =>
  validateEntity<T>(schema, e as Record<string, unknown>, 'replace', { existing: e as Record<string, unknown>, now: 1_700_000_300 });
const config: ConfigSet = {
  ...emptyConfig(),
  services: [
    service({ id: SVC_B, name: 'billing', protocol: 'https', host: 'billing.internal', port: 8443, path: '/v2',
      tags: ['team-a', 'prod'], client_certificate: { id: CERT }, tls_verify: true, tls_verify_depth: 3,
      ca_certificates: [CA], retries: 0, enabled: false }),
    service({ tags: [] }),
  ].map(valid<Service>(serviceSchema)),
  routes: [
    route({ name: 'billing-api', service: { id: SVC_B }, methods: ['GET', 'POST'], hosts: ['api.example.com', '*.example.org'],
      paths: ['/billing', '~/invoices/\\d+$'], headers: { 'x-tenant': ['a', 'b'], 'x-regex': ['~*^v\\d$'] },
      snis: [], https_redirect_status_code: 301, regex_priority: -5, strip_path: false, path_handling: 'v1',
      preserve_host: true, request_buffering: false, response_buffering: false, tags: ['edge'] }),
    route({ id: '5ac27fad-df9e-4eae-8c8d-9f6eaf7b4c56', protocols: ['tcp'], service: { id: SVC_A },
      sources: [{ ip: '10.0.0.0/8' }, { port: 1234 }], destinations: [{ ip: '192.168.1.1', port: 443 }] }),
    route({ id: '6bd38abe-ea0f-4fbf-9d9e-af7fba8c5d67', headers: {}, paths: ['/'], methods: [] }),
  ].map(valid<Route>(routeSchema)),
};

/** Through real protobuf bytes, as the data plane sees it. */
function overTheWire(s: ReturnType<typeof makeSnapshot>) {
  const def = configSyncService().StreamConfig;
  const bytes = def.responseSerialize({ version_info: String(s.version), nonce: 'n', snapshot: snapshotToProto(s) });
  const msg = def.responseDeserialize(bytes);
  if (!msg.snapshot) throw new Error('snapshot missing on the wire');
  return snapshotFromProto(msg.snapshot);
}

describe('snapshot conversion', () => {
  it('a snapshot survives the wire with the same canonical hash', () => {
    const s = makeSnapshot(42, config);
    const back = overTheWire(s);
    expect(back.version).toBe(42);
    expect(back.hash).toBe(s.hash);
    expect(configHash(back.config)).toBe(s.hash);
    expect(back.config).toEqual(s.config);
  });

  it('null stays null and empty stays empty (they hash differently)', () => {
    const back = overTheWire(makeSnapshot(1, config));
    const [withEmptyTags, billing] = [back.config.services.find((s) => s.id === SVC_A)!, back.config.services.find((s) => s.id === SVC_B)!];
    expect(withEmptyTags.tags).toEqual([]);
    expect(withEmptyTags.name).toBeNull();
    expect(withEmptyTags.tls_verify).toBeNull();
    expect(withEmptyTags.client_certificate).toBeNull();
    expect(billing.tls_verify).toBe(true);
    expect(billing.enabled).toBe(false);
    expect(billing.retries).toBe(0);
    const emptyHeaders = back.config.routes.find((r) => r.id.startsWith('6bd3'))!;
    expect(emptyHeaders.headers).toEqual({});
    expect(emptyHeaders.methods).toEqual([]);
    expect(emptyHeaders.hosts).toBeNull();
  });

  it('headers keep their value lists and route sources keep unset fields as null', () => {
    const back = overTheWire(makeSnapshot(1, config));
    const billing = back.config.routes.find((r) => r.name === 'billing-api')!;
    expect(billing.headers).toEqual({ 'x-tenant': ['a', 'b'], 'x-regex': ['~*^v\\d$'] });
    expect(billing.regex_priority).toBe(-5);
    const tcp = back.config.routes.find((r) => r.protocols[0] === 'tcp')!;
    expect(tcp.sources).toEqual([{ ip: '10.0.0.0/8', port: null }, { ip: null, port: 1234 }]);
    expect(tcp.destinations).toEqual([{ ip: '192.168.1.1', port: 443 }]);
  });

  it('an empty config round-trips to the empty config hash', () => {
    const s = makeSnapshot(0, emptyConfig());
    expect(configHash(overTheWire(s).config)).toBe(s.hash);
  });

  it('a version beyond 2^53 is refused rather than silently rounded', () => {
    const msg = snapshotToProto(makeSnapshot(1, config));
    const def = configSyncService().StreamConfig;
    const decoded = def.responseDeserialize(def.responseSerialize({ snapshot: { ...msg, version: '18446744073709551615' } }));
    expect(() => snapshotFromProto(decoded.snapshot!)).toThrow(/not a safe integer/);
  });
});
