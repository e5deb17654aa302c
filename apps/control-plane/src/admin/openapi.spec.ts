// The OpenAPI document is generated, never hand-kept: every route the Admin API module registers is
// in it (and nothing else), and its entity components follow the schemas the server validates with.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { BUNDLED_PLUGINS, pluginSchema } from '@archway/plugins';
import { ENTITY_SCHEMAS } from '@archway/schema';
import { AdminModule, type AdminDeps } from './admin.module';
import { kongPath, servedRoutes } from './discovery.controller';
import { allEndpoints } from './endpoint-table';
import { buildOpenApi } from './openapi';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
  components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>>; required?: string[] }> };
};

const doc = buildOpenApi('0.1.0', [...BUNDLED_PLUGINS.values()]) as unknown as Doc;

let app: INestApplication;

beforeAll(async () => {
  // the real module with inert dependencies: registering routes touches none of them
  const deps = { store: {}, snapshots: {}, node: { version: '0.1.0' }, directory: {}, plugins: pluginSchema, history: {} } as unknown as AdminDeps;
  app = await NestFactory.create(AdminModule.forRoot(deps), { logger: false, bodyParser: false });
  await app.init();
});

afterAll(async () => {
  await app?.close();
});

describe('GET /openapi.json is generated from the routes the server serves', () => {
  it('documents every route the Admin API registers, method by method, and no route it does not serve', () => {
    const served = servedRoutes(app.getHttpAdapter().getInstance()).map((r) => `${r.method.toUpperCase()} ${kongPath(r.path)}`);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(served.length).toBeGreaterThan(100);
    expect([...new Set(served)].sort()).toEqual([...new Set(documented)].sort());
  });

  it('lists each (method, path) once in the endpoint table', () => {
    const keys = allEndpoints().map((e) => `${e.method} ${e.path}`);
    expect(keys.length).toBe(new Set(keys).size);
  });

  it('names path parameters as Kong does: /services/{services}/routes/{routes}', () => {
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/services/{services}/routes/{routes}',
        '/consumers/{consumers}/key-auth/{keyauth_credentials}',
        '/key-auths/{keyauth_credentials}/consumer',
        '/routes/{routes}/service',
        '/schemas/plugins/{name}',
        '/tags/{tags}',
      ]),
    );
    const get = doc.paths['/services/{services}'].get as unknown as { parameters: { name: string; in: string }[] };
    expect(get.parameters).toEqual([expect.objectContaining({ name: 'services', in: 'path', required: true })]);
  });
});

describe('OpenAPI components follow the entity schemas', () => {
  const schemas = doc.components.schemas;

  it('is OpenAPI 3.1 with a component per entity and per bundled plugin config', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const s of ENTITY_SCHEMAS) expect(schemas[s.name]).toBeDefined();
    for (const name of BUNDLED_PLUGINS.keys()) expect(schemas[`plugin-config.${name}`]).toBeDefined();
  });

  it('carries types, defaults, bounds, enums and nullability from the field DSL', () => {
    const svc = schemas.services;
    expect(svc.properties?.port).toEqual({ type: 'integer', minimum: 0, maximum: 65535, default: 80 });
    expect(svc.properties?.protocol).toMatchObject({ type: 'string', default: 'http', enum: expect.arrayContaining(['http', 'https', 'grpc']) });
    expect(svc.properties?.name).toMatchObject({ type: ['string', 'null'] });
    expect(svc.properties?.client_certificate).toMatchObject({ type: ['object', 'null'], required: ['id'] });
    expect(svc.properties?.url).toMatchObject({ type: 'string', writeOnly: true });
    expect(svc.required).toEqual(['host']);
    expect(schemas.routes.properties?.protocols).toMatchObject({ type: 'array', uniqueItems: true, minItems: 1, default: ['http', 'https'] });
    expect(schemas.routes.properties?.headers).toMatchObject({ type: ['object', 'null'], additionalProperties: { type: 'array' } });
    const rl = schemas['plugin-config.rate-limiting'].properties;
    expect(rl?.policy).toMatchObject({ type: 'string', default: 'local', enum: ['local', 'redis'] });
    expect(rl?.second).toMatchObject({ type: ['number', 'null'], exclusiveMinimum: 0 });
  });

  it('leaves generated defaults out (a jwt secret is made per credential)', () => {
    expect(schemas.jwt_secrets.properties?.secret).not.toHaveProperty('default');
    expect(schemas.jwt_secrets.properties?.algorithm).toMatchObject({ default: 'HS256' });
  });

  it("describes list bodies as Kong's {data, offset, next} and errors as Kong's error body", () => {
    const list = doc.paths['/services'].get.responses['200'] as { content: { 'application/json': { schema: Record<string, unknown> } } };
    expect(list.content['application/json'].schema).toMatchObject({ required: ['data', 'next'], properties: { data: { items: { $ref: '#/components/schemas/services' } } } });
    expect(doc.paths['/services'].post.responses).toHaveProperty('400');
    expect(doc.paths['/services'].post.responses).toHaveProperty('409');
    expect(doc.paths['/services'].post.requestBody).toBeDefined();
    expect(schemas.KongError.required).toEqual(['code', 'name', 'message']);
  });

  it('has no reference to a component it does not define', () => {
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[^"]+/g) ?? [];
    for (const r of new Set(refs)) expect(schemas[r.split('/').pop() as string]).toBeDefined();
  });
});
