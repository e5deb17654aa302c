// The control plane publishes every collection: entities written through the Admin API reach a data
// plane over real gRPC, typed, with a hash the data plane recomputes, and validate there as they are.
import { pluginSchema } from '@archway/plugins';
import { CONFIG_COLLECTIONS, basicAuthHash, configHash, validateConfig, type Snapshot } from '@archway/schema';
import { createConfigSyncClient, snapshotFromProto, type SyncResponse__Output } from '@archway/sync';
import { useAdminHarness } from '../testing/admin-harness';
import { selfSigned } from '../testing/self-signed';


/** Connects as a data plane and ACKs every snapshot until one satisfies `done`. */
async function receiveUntil(port: number, done: (s: Snapshot) => boolean): Promise<Snapshot> {
  const client = createConfigSyncClient(`127.0.0.1:${port}`);
  const call = client.StreamConfig();
  try {
    return await new Promise<Snapshot>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no complete snapshot within 20 s')), 20_000);
      call.on('error', reject);
      call.on('data', (r: SyncResponse__Output) => {
        const s = snapshotFromProto(r.snapshot as NonNullable<typeof r.snapshot>);
        call.write({ version_info: r.version_info, response_nonce: r.nonce, config_hash: s.hash });
        if (!done(s)) return;
        clearTimeout(timer);
        resolve(s);
      });
      call.write({ node: { id: 'dp-spec', hostname: 'spec', zone: 'a', software_version: '0.1.0' }, version_info: '', config_hash: '' });
    });
  } finally {
    call.cancel();
    client.close();
  }
}

const { call, harness } = useAdminHarness();

async function created(path: string, body: object): Promise<{ id: string }> {
  const res = await call('POST', path, body);
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

it('publishes every collection the Admin API holds, and a data plane validates it as it arrives', async () => {
  const leaf = selfSigned(false);
  const cert = await created('/certificates', { cert: leaf.cert, key: leaf.key });
  const ca = await created('/ca_certificates', { cert: selfSigned(true).cert });
  await created('/snis', { name: 'api.example.test', certificate: { id: cert.id } });
  const svc = await created('/services', { name: 'billing', url: 'https://billing.internal', client_certificate: { id: cert.id }, ca_certificates: [ca.id] });
  const route = await created('/services/billing/routes', { name: 'r', paths: ['/billing'] });
  await created('/consumers', { username: 'alice' });
  await created('/consumers/alice/key-auth', { key: 'alice-key' });
  await created('/consumers/alice/basic-auth', { username: 'alice', password: 'open sesame' });
  await created('/consumers/alice/jwt', { key: 'alice-iss' });
  await created('/consumers/alice/acls', { group: 'admins' });
  await created('/upstreams', { name: 'billing.internal', healthchecks: { active: { healthy: { interval: 5 } }, threshold: 25.5 } });
  await created('/upstreams/billing.internal/targets', { target: '10.0.0.1:8080', zone: 'zone-a' });
  await created('/plugins', { name: 'rate-limiting', route: { id: route.id }, config: { minute: 5, hour: 100 } });
  const acl = await created('/plugins', { name: 'acl', service: { id: svc.id }, config: { allow: ['admins'] } });

  const s = await receiveUntil(harness().cp.clusterPort, (snap) => snap.config.plugins.some((p) => p.id === acl.id));
  expect(configHash(s.config)).toBe(s.hash);
  for (const kind of CONFIG_COLLECTIONS) expect([kind, s.config[kind].length]).toEqual([kind, 1 + Number(kind === 'plugins')]);
  expect(validateConfig(s.config, pluginSchema)).toEqual(s.config);
  expect(s.config.basicauth_credentials[0].password).toBe(basicAuthHash('open sesame', s.config.consumers[0].id));
  expect(s.config.upstreams[0].healthchecks.threshold).toBe(25.5);
  expect(s.config.plugins.find((p) => p.name === 'rate-limiting')?.config).toMatchObject({ minute: 5, hour: 100, policy: 'local' });
}, 60_000);
