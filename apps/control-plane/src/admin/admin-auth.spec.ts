// Admin tokens: who may call the Admin API, with which role, and who the history says wrote.
import type { AdminToken } from '@archway/config';
import { createLogger } from '@archway/telemetry';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAdminHarness, type AdminHarness } from '../testing/admin-harness';
import { adminAuthMiddleware, authenticate, isLoopback, presentedToken, tokenTable } from './admin-auth';
import type { ExpressResponse } from './express-types';

jest.setTimeout(60_000);

const TOKENS: AdminToken[] = [
  { name: 'ci', role: 'write', token: 'ci-secret-token' },
  { name: 'dash', role: 'read', token: 'dash-secret-token' },
];

describe('admin tokens: deciding a request', () => {
  const table = tokenTable(TOKENS);
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it('lets everyone in, with no actor, when no token is configured', () => {
    expect(authenticate(tokenTable([]), 'DELETE', {})).toEqual({ ok: true, actor: null });
  });

  it('answers 401 without a token and with an unknown one', () => {
    expect(authenticate(table, 'GET', {})).toMatchObject({ ok: false, status: 401, invalidToken: false });
    expect(authenticate(table, 'GET', bearer('nope'))).toMatchObject({ ok: false, status: 401, invalidToken: true });
    expect(authenticate(table, 'GET', { authorization: 'Basic Y2k6Y2k=' })).toMatchObject({ status: 401 });
    // a prefix of a real token is just another wrong token
    expect(authenticate(table, 'GET', bearer('ci-secret'))).toMatchObject({ status: 401 });
  });

  it('names the token as the actor, whichever header carries it', () => {
    expect(authenticate(table, 'POST', bearer('ci-secret-token'))).toEqual({ ok: true, actor: 'ci' });
    expect(authenticate(table, 'POST', { authorization: 'bearer  ci-secret-token' })).toEqual({ ok: true, actor: 'ci' });
    expect(authenticate(table, 'POST', { 'kong-admin-token': 'ci-secret-token' })).toEqual({ ok: true, actor: 'ci' });
    expect(presentedToken({ 'kong-admin-token': ' a ', authorization: 'Bearer b' })).toBe('a');
  });

  it('lets a read token read but not write', () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS']) expect(authenticate(table, m, bearer('dash-secret-token'))).toEqual({ ok: true, actor: 'dash' });
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE'])
      expect(authenticate(table, m, bearer('dash-secret-token'))).toMatchObject({ ok: false, status: 403, actor: 'dash' });
  });

  it('tells loopback addresses from the rest', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', 'admin.internal']) expect(isLoopback(h)).toBe(false);
  });

  it('never logs a token, only the name behind it', () => {
    const lines: string[] = [];
    const mw = adminAuthMiddleware(TOKENS, createLogger({ level: 'debug', write: (l) => lines.push(l) }));
    const res = { setHeader: () => res, status: () => res, json: () => res } as unknown as ExpressResponse;
    const run = (method: string, headers: Record<string, string>) =>
      mw({ method, url: '/services', headers } as unknown as IncomingMessage, res, () => undefined);
    run('POST', { authorization: 'Bearer dash-secret-token' });
    run('GET', { authorization: 'Bearer wrong-secret-token' });
    run('GET', { 'kong-admin-token': 'another-wrong-one' });
    expect(lines).toHaveLength(3);
    expect(lines.join('\n')).not.toMatch(/secret-token|another-wrong-one/);
    expect(JSON.parse(lines[0])).toMatchObject({ status: 403, actor: 'dash', path: '/services' });
  });
});

describe('admin tokens: through the Admin API', () => {
  let admin: AdminHarness;
  let dir: string;
  const as = (token: string | null, method: string, path: string, body?: object, header = 'authorization') =>
    admin.call(method, path, body, undefined, token === null ? {} : { [header]: header === 'authorization' ? `Bearer ${token}` : token });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'archway-admin-tokens-'));
    const file = join(dir, 'tokens');
    writeFileSync(file, '# from the tokens file\nops:write:ops-file-token\n');
    admin = await startAdminHarness({
      ARCHWAY_ADMIN_TOKENS: TOKENS.map((t) => `${t.name}:${t.role}:${t.token}`).join(','),
      ARCHWAY_ADMIN_TOKENS_FILE: file,
    });
  });

  afterAll(async () => {
    await admin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers 401 {message: 'Unauthorized'} with WWW-Authenticate: Bearer without a token", async () => {
    for (const [method, path] of [['GET', '/'], ['GET', '/services'], ['POST', '/services'], ['GET', '/config/versions'], ['GET', '/metrics']]) {
      const res = await as(null, method, path, method === 'POST' ? { host: 'x.test' } : undefined);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: 'Unauthorized' });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('answers 401 for a wrong token in either header', async () => {
    expect((await as('wrong', 'GET', '/services')).status).toBe(401);
    expect((await as('wrong', 'GET', '/services', undefined, 'kong-admin-token')).status).toBe(401);
    expect((await admin.call('GET', '/services', undefined, undefined, { authorization: 'Basic Y2k6Y2k=' })).status).toBe(401);
  });

  it('lets a read token read and answers 403 to its writes, writing nothing', async () => {
    expect((await as('dash-secret-token', 'GET', '/services')).status).toBe(200);
    expect((await as('dash-secret-token', 'GET', '/metrics')).status).toBe(200);
    const post = await as('dash-secret-token', 'POST', '/services', { name: 'by-reader', host: 'r.test' });
    expect(post.status).toBe(403);
    expect(post.body.message).toMatch(/^Forbidden: this token may only read/);
    expect((await as('dash-secret-token', 'DELETE', '/services/anything')).status).toBe(403);
    expect((await as('ci-secret-token', 'GET', '/services/by-reader')).status).toBe(404);
  });

  it('lets write tokens write, by Authorization: Bearer or Kong-Admin-Token, and from the tokens file', async () => {
    expect((await as('ci-secret-token', 'POST', '/services', { name: 'tok-a', host: 'a.test' })).status).toBe(201);
    expect((await as('ci-secret-token', 'PATCH', '/services/tok-a', { port: 8080 }, 'kong-admin-token')).status).toBe(200);
    expect((await as('ops-file-token', 'PUT', '/services/tok-b', { host: 'b.test' })).status).toBe(200);
    expect((await as('dash-secret-token', 'GET', '/services/tok-a')).body.port).toBe(8080);
  });

  it("records the token's name as the actor of each version", async () => {
    await as('ci-secret-token', 'POST', '/consumers', { username: 'by-ci' });
    await as('ops-file-token', 'PATCH', '/consumers/by-ci', { custom_id: 'c1' }, 'kong-admin-token');
    const { body } = await as('dash-secret-token', 'GET', '/config/versions?size=2');
    expect(body.data.map((v: { actor: string }) => v.actor)).toEqual(['ops', 'ci']);
  });

  it('records the actor of a rollback too', async () => {
    const [latest] = (await as('dash-secret-token', 'GET', '/config/versions?size=1')).body.data;
    await as('ci-secret-token', 'POST', '/services', { name: 'rolled', host: 'r.test' });
    expect((await as('ops-file-token', 'POST', `/config/rollback/${latest.version}`)).status).toBe(201);
    const [rollback] = (await as('dash-secret-token', 'GET', '/config/versions?size=1')).body.data;
    expect(rollback).toMatchObject({ version: latest.version + 2, actor: 'ops' });
  });
});
