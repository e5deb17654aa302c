// A service's `ca_certificates` over real HTTP against a real Postgres: the ids must name existing CA
// certificates, and a CA a service trusts cannot be deleted (Kong's kong/db/dao/ca_certificates.lua).
import { useAdminHarness } from '../testing/admin-harness';
import { selfSigned } from '../testing/self-signed';

jest.setTimeout(60_000);


const { call, latestVersion } = useAdminHarness();
const MISSING = '7f1c2a9e-3b4d-4c5e-8f60-1a2b3c4d5e6f';

describe('a service trusting CA certificates', () => {
  it('accepts ca_certificates naming existing CA certificates', async () => {
    const ca = await call('POST', '/ca_certificates', { cert: selfSigned(true, 'ca.test').cert });
    expect(ca.status).toBe(201);
    const svc = await call('POST', '/services', { name: 'trusting', url: 'https://a.test', ca_certificates: [ca.body.id] });
    expect(svc.status).toBe(201);
    expect(svc.body.ca_certificates).toEqual([ca.body.id]);
  });

  it.each([
    ['POST', '/services', { name: 'dangling', url: 'https://a.test', ca_certificates: [MISSING] }],
    ['PUT', '/services/dangling-put', { url: 'https://a.test', ca_certificates: [MISSING] }],
    ['PATCH', '/services/trusting', { ca_certificates: [MISSING] }],
  ])('%s %s naming a CA certificate that does not exist answers 400 foreign key violation and writes nothing', async (method, path, body) => {
    const before = await latestVersion();
    const res = await call(method, path, body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: 4,
      name: 'foreign key violation',
      message: `the foreign key '{id="${MISSING}"}' does not reference an existing 'ca_certificates' entity.`,
      fields: { ca_certificates: { id: MISSING } },
    });
    expect(await latestVersion()).toBe(before);
    expect((await call('GET', '/services/dangling')).status).toBe(404);
  });

  it("refuses to delete a CA certificate a service still trusts, with Kong's message", async () => {
    const ca = await call('POST', '/ca_certificates', { cert: selfSigned(true, 'ca.test').cert });
    const svc = await call('POST', '/services', { name: 'pinned', url: 'https://b.test', ca_certificates: [ca.body.id] });
    const before = await latestVersion();
    const res = await call('DELETE', `/ca_certificates/${ca.body.id}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: 19,
      name: 'referenced by others',
      message: `ca certificate ${ca.body.id} is still referenced by services (id = ${svc.body.id})`,
    });
    expect(await latestVersion()).toBe(before);
    expect((await call('GET', `/ca_certificates/${ca.body.id}`)).status).toBe(200);
  });

  it('deletes a CA certificate once no service trusts it', async () => {
    const ca = await call('POST', '/ca_certificates', { cert: selfSigned(true, 'ca.test').cert });
    await call('POST', '/services', { name: 'released', url: 'https://c.test', ca_certificates: [ca.body.id] });
    expect((await call('PATCH', '/services/released', { ca_certificates: null })).status).toBe(200);
    expect((await call('DELETE', `/ca_certificates/${ca.body.id}`)).status).toBe(204);
    expect((await call('GET', `/ca_certificates/${ca.body.id}`)).status).toBe(404);
  });
});
