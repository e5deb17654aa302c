// A certificate's `snis` over real HTTP against a real Postgres, after Kong's
// spec/02-integration/04-admin_api/06-certificates_routes_spec.lua; and multipart bodies.
import { useAdminHarness } from '../testing/admin-harness';
import { selfSigned } from '../testing/self-signed';

jest.setTimeout(60_000);


const { call, harness } = useAdminHarness();
const pair = selfSigned();
const other = selfSigned();

let counter = 0;
const name = () => `sni-${++counter}.test`;

async function addCertificate(snis: string[]) {
  const res = await call('POST', '/certificates', { ...pair, snis });
  expect(res.status).toBe(201);
  return res.body as { id: string; snis: string[] };
}

async function sniNames(): Promise<string[]> {
  return (await call('GET', '/snis?size=1000')).body.data.map((s: { name: string }) => s.name).sort();
}

describe('certificates: the snis pseudo-property', () => {
  it('creates a certificate and returns it with its snis sorted, each one an sni entity', async () => {
    const res = await call('POST', '/certificates', { ...pair, snis: ['foobar.test', 'baz.test'] });
    expect(res.status).toBe(201);
    expect(res.body.snis).toEqual(['baz.test', 'foobar.test']);
    const listed = await call('GET', `/certificates/${res.body.id}/snis`);
    expect(listed.body.data.map((s: { name: string }) => s.name).sort()).toEqual(['baz.test', 'foobar.test']);
    expect(listed.body.data[0].certificate).toEqual({ id: res.body.id });
  });

  it('returns snis as [] when none is set', async () => {
    const res = await call('POST', '/certificates', pair);
    expect(res.status).toBe(201);
    expect(res.body.snis).toEqual([]);
  });

  it('retrieves a certificate by id and by any of its snis, with its snis; lists carry them too', async () => {
    const [a, b] = [name(), name()];
    const cert = await addCertificate([b, a]);
    const byId = await call('GET', `/certificates/${cert.id}`);
    expect(byId.body.snis).toEqual([a, b].sort());
    expect((await call('GET', `/certificates/${a}`)).body).toEqual(byId.body);
    const list = await call('GET', '/certificates?size=1000');
    expect(list.body.data.find((c: { id: string }) => c.id === cert.id).snis).toEqual([a, b].sort());
  });

  it('answers 404 "SNI not found" for an unknown sni in the path', async () => {
    const res = await call('GET', '/certificates/doesnt-exist.test');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: 'SNI not found' });
  });

  it("rejects a duplicated sni in the request with Kong's message, and writes nothing", async () => {
    const before = await sniNames();
    const res = await call('POST', '/certificates', { ...pair, snis: ['dup.test', 'other.test', 'dup.test'] });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('schema violation (snis: dup.test is duplicated)');
    expect(await sniNames()).toEqual(before);
  });

  it('rejects an sni already associated with another certificate, naming it, and writes nothing', async () => {
    const taken = name();
    const owner = await addCertificate([taken]);
    const count = (await call('GET', '/certificates?size=1000')).body.data.length;
    const res = await call('POST', '/certificates', { ...pair, snis: [taken, name()] });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 2,
      name: 'schema violation',
      message: `schema violation (snis: ${taken} already associated with existing certificate '${owner.id}')`,
    });
    expect((await call('GET', '/certificates?size=1000')).body.data.length).toBe(count);
  });

  it('PATCH with snis replaces the set: removed names go, new ones are created, kept ones stay', async () => {
    const [keep, drop, add] = [name(), name(), name()];
    const cert = await addCertificate([keep, drop]);
    const keptId = (await call('GET', `/snis/${keep}`)).body.id;
    const res = await call('PATCH', `/certificates/${cert.id}`, { snis: [keep, add] });
    expect(res.status).toBe(200);
    expect(res.body.snis).toEqual([keep, add].sort());
    expect((await call('GET', `/snis/${drop}`)).status).toBe(404);
    expect((await call('GET', `/snis/${keep}`)).body.id).toBe(keptId);
    expect((await call('GET', `/snis/${add}`)).body.certificate).toEqual({ id: cert.id });
  });

  it('PATCH without snis updates only the certificate and keeps its snis', async () => {
    const [a] = [name()];
    const cert = await addCertificate([a]);
    const res = await call('PATCH', `/certificates/${cert.id}`, other);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ cert: other.cert, snis: [a] });
  });

  it('PATCH with snis JSON null deletes every sni of the certificate', async () => {
    const a = name();
    const cert = await addCertificate([a]);
    const res = await call('PATCH', `/certificates/${a}`, { snis: null });
    expect(res.status).toBe(200);
    expect(res.body.snis).toEqual([]);
    expect((await call('GET', `/snis/${a}`)).status).toBe(404);
    expect((await call('GET', `/certificates/${cert.id}`)).body.snis).toEqual([]);
  });

  it('PUT by id replaces the certificate; without snis it leaves none, as Kong 3 does', async () => {
    const cert = await addCertificate([name()]);
    const res = await call('PUT', `/certificates/${cert.id}`, other);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: cert.id, cert: other.cert, snis: [] });
  });

  it('PUT by an unknown sni creates a certificate carrying that name with the given ones', async () => {
    const [inUrl, inBody] = [name(), name()];
    const res = await call('PUT', `/certificates/${inUrl}`, { ...pair, snis: [inBody] });
    expect(res.status).toBe(200);
    expect(res.body.snis).toEqual([inUrl, inBody].sort());
    expect((await call('GET', `/certificates/${inUrl}`)).body.id).toBe(res.body.id);
  });

  it('DELETE by sni deletes the certificate and all its snis', async () => {
    const [a, b] = [name(), name()];
    const cert = await addCertificate([a, b]);
    expect((await call('DELETE', `/certificates/${a}`)).status).toBe(204);
    expect((await call('GET', `/certificates/${cert.id}`)).status).toBe(404);
    expect(await sniNames()).not.toEqual(expect.arrayContaining([a]));
    expect(await sniNames()).not.toEqual(expect.arrayContaining([b]));
  });

  it('stores the certificate without snis: the history records the certificate and each sni on its own', async () => {
    const a = name();
    const cert = await addCertificate([a]);
    const versions = await call('GET', '/config/versions?size=1');
    const { changes } = (await call('GET', `/config/versions/${versions.body.data[0].version}/diff`)).body;
    type Change = { entity: string; op: string; after: Record<string, unknown> };
    const created = (changes as Change[]).map((c) => [c.entity, c.op, c.after.id === cert.id || c.after.name === a]);
    expect(created).toEqual(expect.arrayContaining([['certificates', 'create', true], ['snis', 'create', true]]));
    expect((changes as Change[]).find((c) => c.entity === 'certificates')?.after).not.toHaveProperty('snis');
  });
});

describe('multipart/form-data bodies', () => {
  it('creates a certificate from `curl -F cert=@cert.pem -F key=@key.pem -F snis[1]=… -F snis[2]=…`', async () => {
    const form = new FormData();
    form.append('cert', new Blob([pair.cert]), 'cert.pem');
    form.append('key', new Blob([pair.key]), 'key.pem');
    form.append('snis[1]', 'multipart-b.test');
    form.append('snis[2]', 'multipart-a.test');
    const res = await fetch(`${harness().base}/certificates`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { cert: string; snis: string[] };
    expect(body.cert).toBe(pair.cert);
    expect(body.snis).toEqual(['multipart-a.test', 'multipart-b.test']);
  });

  it('decodes dotted keys and coerces values by the schema, as form bodies are', async () => {
    const form = new FormData();
    form.append('name', 'multipart-svc');
    form.append('host', 'mp.test');
    form.append('port', '8080');
    const svc = await fetch(`${harness().base}/services`, { method: 'POST', body: form });
    expect(svc.status).toBe(201);
    expect(await svc.json()).toMatchObject({ name: 'multipart-svc', port: 8080 });
    const route = new FormData();
    route.append('service.name', 'multipart-svc');
    route.append('paths[1]', '/mp');
    const res = await fetch(`${harness().base}/routes`, { method: 'POST', body: route });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ paths: ['/mp'] });
  });

  it('answers 400 for a multipart body that does not parse', async () => {
    const bad = await call('POST', '/services', 'not multipart', 'multipart/form-data; boundary=xyz');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ message: 'Cannot parse multipart/form-data body' });
  });
});
