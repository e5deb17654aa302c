// Spec helper: a realistic config with entities of every kind, each made the way the Admin API makes it
// (the schema's validation, then its beforeStore), and real certificates made by openssl at test time.
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  aclSchema, basicAuthSchema, caCertificateSchema, certificateSchema, consumerSchema, emptyConfig, jwtSecretSchema, keyAuthSchema,
  routeSchema, serviceSchema, sniSchema, targetSchema, upstreamSchema, validateConfig, validateEntity, validatePlugin,
  type ConfigSet, type EntitySchema, type PluginDefinition, type PluginLookup, type Snapshot,
} from '@archway/schema';
import { snapshotFromProto, snapshotToProto } from '../convert';
import { configSyncService } from '../proto';

const NOW = 1_700_000_000;
export const ID = (n: number) => `0b7f2a5e-8a4f-4f59-9d3e-${String(n).padStart(12, '0')}`;

/** A self-signed certificate and key from the openssl CLI; `ca` adds basicConstraints CA:TRUE. */
export function opensslCert(opts: { keyType: 'rsa' | 'ec'; ca?: boolean; cn: string }): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'archway-sync-cert-'));
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  const newkey = opts.keyType === 'rsa' ? 'rsa:2048' : 'ec';
  const ext = opts.ca ? 'basicConstraints=critical,CA:TRUE' : `subjectAltName=DNS:${opts.cn}`;
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', newkey, ...(opts.keyType === 'ec' ? ['-pkeyopt', 'ec_paramgen_curve:prime256v1'] : []),
      '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${opts.cn}`, '-addext', ext,
    ], { stdio: 'pipe' });
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A plugin with a nested config: records in records, integers and fractions, lists, a map, nulls. */
export const shaperPlugin: PluginDefinition = {
  name: 'shaper',
  config: {
    type: 'record',
    fields: {
      minute: { type: 'integer', default: 60 },
      burst_ratio: { type: 'number', default: 1.5 },
      policy: { type: 'string', default: 'local' },
      redis: {
        type: 'record',
        fields: {
          host: { type: 'string' },
          port: { type: 'integer', default: 6379 },
          timeout: { type: 'number', default: 2000 },
          ssl: { type: 'boolean', default: false },
        },
      },
      limits: { type: 'array', default: [], elements: { type: 'record', fields: { path: { type: 'string' }, per_second: { type: 'number' } } } },
      header_weights: { type: 'map', keys: { type: 'string' }, values: { type: 'number' } },
      hide_client_headers: { type: 'boolean', default: false },
      fault_tolerant: { type: 'boolean', default: true },
    },
  },
};
export const pluginLookup: PluginLookup = (name) => (name === shaperPlugin.name ? shaperPlugin : undefined);

function stored(schema: EntitySchema, input: Record<string, unknown>) {
  const e = validateEntity(schema, input, 'create', { now: NOW });
  return schema.beforeStore ? schema.beforeStore(e, null) : e;
}

const healthchecks = {
  active: {
    type: 'https', timeout: 2.5, concurrency: 4, http_path: '/healthz', https_sni: 'billing.internal', https_verify_certificate: false,
    headers: { 'x-probe': ['archway', 'v2'] },
    healthy: { interval: 5, http_statuses: [200, 204], successes: 3 },
    unhealthy: { interval: 0.5, http_statuses: [500, 503], tcp_failures: 2, timeouts: 3, http_failures: 4 },
  },
  passive: { type: 'http', healthy: { http_statuses: [200], successes: 10 }, unhealthy: { http_statuses: [502], tcp_failures: 1, timeouts: 2, http_failures: 5 } },
  threshold: 33.3,
};

function upstreams() {
  return [
    stored(upstreamSchema, {
      id: ID(20), name: 'billing.internal', algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'x-tenant',
      hash_fallback: 'cookie', hash_on_cookie: 'session', hash_on_cookie_path: '/app', slots: 100, healthchecks,
      host_header: 'billing.example.test', client_certificate: { id: ID(1) }, use_srv_name: true, tags: ['team-a'],
      circuit_breaker: { enabled: true, failure_threshold: 20, failure_ratio: 0.25, window: 30, cool_down: 12.5, half_open_requests: 3 },
    }),
    stored(upstreamSchema, { id: ID(21), name: 'defaults.internal' }),
  ];
}

/** Every kind of entity, references all resolvable: what the control plane publishes. */
export function wholeConfig(): ConfigSet {
  const leaf = opensslCert({ keyType: 'ec', cn: 'api.example.test' });
  const alt = opensslCert({ keyType: 'rsa', cn: 'api.example.test' });
  const ca = opensslCert({ keyType: 'ec', ca: true, cn: 'Archway Test CA' });
  const alice = { consumer: { id: ID(10) } };
  const raw = {
    ...emptyConfig(),
    certificates: [stored(certificateSchema, { id: ID(1), cert: leaf.cert, key: leaf.key, cert_alt: alt.cert, key_alt: alt.key, tags: ['edge'] })],
    ca_certificates: [stored(caCertificateSchema, { id: ID(2), cert: ca.cert })],
    snis: [stored(sniSchema, { id: ID(3), name: '*.example.test', certificate: { id: ID(1) } })],
    services: [stored(serviceSchema, { id: ID(4), url: 'https://billing.internal:8443/v2', client_certificate: { id: ID(1) }, ca_certificates: [ID(2)], tls_verify: true })],
    routes: [stored(routeSchema, { id: ID(5), paths: ['/billing'], service: { id: ID(4) } })],
    consumers: [stored(consumerSchema, { id: ID(10), username: 'alice', tags: [] }), stored(consumerSchema, { id: ID(11), custom_id: 'crm-42' })],
    upstreams: upstreams(),
    targets: [
      stored(targetSchema, { id: ID(22), target: '10.0.0.1', upstream: { id: ID(20) }, weight: 50, zone: 'zone-a' }),
      stored(targetSchema, { id: ID(23), target: '[::1]:9000', upstream: { id: ID(20) } }),
    ],
    plugins: [
      validatePlugin({
        id: ID(30), name: 'shaper', instance_name: 'billing-shaper', route: { id: ID(5) }, ...alice, tags: ['x'],
        config: { minute: 120, redis: { host: 'redis.internal', timeout: 0.25 }, limits: [{ path: '/a', per_second: 0.1 }, { path: '/b', per_second: 1e-7 }], header_weights: {} },
      }, 'create', pluginLookup, { now: NOW }),
      validatePlugin({ id: ID(31), name: 'shaper', enabled: false, protocols: ['http'] }, 'create', pluginLookup, { now: NOW }),
    ],
    keyauth_credentials: [stored(keyAuthSchema, { id: ID(40), key: 'alice-key', ttl: 3600, ...alice }), stored(keyAuthSchema, { id: ID(41), ...alice })],
    basicauth_credentials: [stored(basicAuthSchema, { id: ID(42), username: 'alice', password: 'open sesame', ...alice })],
    jwt_secrets: [
      stored(jwtSecretSchema, { id: ID(43), key: 'alice-iss', ...alice }),
      stored(jwtSecretSchema, { id: ID(44), key: 'alice-rsa', algorithm: 'RS256', rsa_public_key: createPublicKey(alt.key).export({ type: 'spki', format: 'pem' }) as string, ...alice }),
    ],
    acls: [stored(aclSchema, { id: ID(45), group: 'billing-admins', ...alice })],
  };
  // as the control plane checks it before publishing
  return validateConfig(raw as unknown as ConfigSet, pluginLookup);
}

/** A snapshot through real protobuf bytes, as a data plane receives it. */
export function overTheWire(s: Snapshot): Snapshot {
  const def = configSyncService().StreamConfig;
  const bytes = def.responseSerialize({ version_info: String(s.version), nonce: 'n', snapshot: snapshotToProto(s) });
  const msg = def.responseDeserialize(bytes);
  if (!msg.snapshot) throw new Error('snapshot missing on the wire');
  return snapshotFromProto(msg.snapshot);
}
