import type { PluginDefinition } from '../entities/plugin';
import { makeCert } from '../testing/test-certs';
import type { FieldDef } from '../fields';
import {
  DeclarativeConfigError,
  declarativeId,
  exportDeclarative,
  loadDeclarative,
  parseDeclarative,
  type DeclarativeEntities,
} from './index';

const limits: PluginDefinition = {
  name: 'limits',
  config: {
    type: 'record',
    fields: {
      minute: { type: 'integer', between: [0, 1000] },
      policy: { type: 'string', default: 'local', oneOf: ['local', 'redis'] },
    },
  } as Extract<FieldDef, { type: 'record' }>,
};
const plugins = (name: string) => (name === 'limits' ? limits : undefined);
const load = (doc: unknown) => loadDeclarative(doc, { plugins, now: 1700000000 });
const ok = (doc: unknown): DeclarativeEntities => {
  const r = load(doc);
  expect(r.errors).toEqual([]);
  return r.entities;
};
const wheres = (doc: unknown) => load(doc).errors.map((e) => `${e.where}: ${e.message}`);

describe('declarative config: parsing', () => {
  it("gives entities without an id Kong's uuid v5 ids (a target under upstream 'foo' as in Kong's spec)", () => {
    const e = ok({ _format_version: '3.0', upstreams: [{ name: 'foo', targets: [{ target: '10.20.30.40' }] }] });
    expect(e.upstreams[0].id).toBe(declarativeId('upstreams', 'foo'));
    // Kong's spec/02-integration/04-admin_api/15-off_spec.lua addresses this target by this id
    expect(e.targets[0]).toMatchObject({ id: 'c830b59e-59cc-5392-adfd-b414d13adfc4', target: '10.20.30.40:8000', upstream: { id: e.upstreams[0].id } });
  });

  it('gives the same ids to the same file every time, named or not', () => {
    const doc = { _format_version: '3.0', services: [{ host: 'a.test', routes: [{ paths: ['/a'] }, { paths: ['/b'] }] }] };
    const [a, b] = [ok(doc), ok(doc)];
    expect(a.routes.map((r) => r.id)).toEqual(b.routes.map((r) => r.id));
    expect(new Set(a.routes.map((r) => r.id)).size).toBe(2);
  });

  it('flattens routes and plugins under services, plugins under routes, filling the parent reference', () => {
    const e = ok({
      _format_version: '3.0',
      services: [{ name: 's', host: 'a.test', plugins: [{ name: 'limits', config: { minute: 1 } }], routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'limits' }] }] }],
    });
    const [s, r] = [e.services[0], e.routes[0]];
    expect(r.service).toEqual({ id: s.id });
    expect(e.plugins.map((p) => [p.service, p.route])).toEqual(expect.arrayContaining([[{ id: s.id }, null], [null, { id: r.id }]]));
    expect(e.plugins).toHaveLength(2);
  });

  it('flattens credentials and plugins under consumers, snis under certificates (names or records)', () => {
    const c = makeCert();
    const e = ok({
      _format_version: '3.0',
      consumers: [
        {
          username: 'bob',
          keyauth_credentials: [{ key: 'k1' }],
          basicauth_credentials: [{ username: 'bob', password: 'pw' }],
          jwt_secrets: [{ key: 'iss', secret: 's' }],
          acls: [{ group: 'admins' }],
          plugins: [{ name: 'limits' }],
        },
      ],
      certificates: [{ cert: c.cert, key: c.key, snis: ['a.test', { name: 'b.test' }] }],
    });
    const bob = { id: e.consumers[0].id };
    for (const kind of ['keyauth_credentials', 'basicauth_credentials', 'jwt_secrets', 'acls', 'plugins'] as const) expect(e[kind][0].consumer).toEqual(bob);
    expect(e.basicauth_credentials[0].password).not.toBe('pw');
    expect(e.snis.map((s) => s.name)).toEqual(['a.test', 'b.test']);
    expect(e.certificates[0]).not.toHaveProperty('snis');
  });

  it('keeps basic-auth passwords as given when _transform is false (an export)', () => {
    const e = ok({ _format_version: '3.0', _transform: false, consumers: [{ username: 'b', basicauth_credentials: [{ username: 'b', password: 'hashed' }] }] });
    expect(e.basicauth_credentials[0].password).toBe('hashed');
  });

  it('ignores _comment and _ignore anywhere', () => {
    const e = ok({ _format_version: '3.0', _comment: 'x', services: [{ host: 'a.test', _comment: 'y', _ignore: [1] }] });
    expect(e.services).toHaveLength(1);
    expect(e.services[0]).toMatchObject({ host: 'a.test' });
    expect(Object.keys(e.services[0]).filter((k) => k.startsWith('_'))).toEqual([]);
  });
});

describe('declarative config: validation', () => {
  it('resolves references by name, by {id} and by {name}', () => {
    const e = ok({
      _format_version: '3.0',
      services: [{ name: 's', host: 'a.test' }],
      routes: [
        { name: 'r1', paths: ['/1'], service: 's' },
        { name: 'r2', paths: ['/2'], service: { id: declarativeId('services', 's') } },
        { name: 'r3', paths: ['/3'], service: { name: 's' } },
      ],
    });
    expect(new Set(e.routes.map((r) => (r.service as { id: string }).id))).toEqual(new Set([e.services[0].id]));
  });

  it('validates plugins by their own schema and fills their defaults', () => {
    const e = ok({ _format_version: '3.0', plugins: [{ name: 'limits', config: { minute: 5 } }] });
    expect(e.plugins[0]).toMatchObject({ config: { minute: 5, policy: 'local' }, enabled: true, created_at: 1700000000 });
    expect(wheres({ _format_version: '3.0', plugins: [{ name: 'limits', config: { minute: -1 } }, { name: 'nope' }] })).toEqual([
      'plugins[0].config.minute: value should be between 0 and 1000',
      "plugins[1].name: plugin 'nope' not enabled; add it to the 'plugins' configuration property",
    ]);
  });

  it('collects every error at once, each naming where it is', () => {
    expect(
      wheres({
        _format_version: '3.0',
        services: [{ name: 'ok', host: 'a.test' }, { name: 'bad', host: 'b.test', port: 99999 }, { name: 'x', host: 'c.test', routes: [{ paths: ['nope'] }] }],
        routes: [{ name: 'r', paths: ['/'], service: 'missing' }],
      }),
    ).toEqual([
      'services[1].port: value should be between 0 and 65535',
      'services[2].routes[0].paths[0]: should start with: / (fixed path) or ~/ (regex path)',
      "routes[0].service: invalid reference 'service: missing' (no such entry in 'services')",
    ]);
  });

  it('reports duplicate ids and duplicate unique keys', () => {
    const id = '7b1a3c3e-9d5e-4a57-8a8e-0b4f3b6f5a11';
    expect(
      wheres({ _format_version: '3.0', services: [{ id, host: 'a.test' }, { id, host: 'b.test' }], consumers: [{ username: 'u' }, { username: 'u', custom_id: 'c' }] }),
    ).toEqual([
      `services[1]: uniqueness violation: 'services' entity with primary key set to '${id}' already declared`,
      `consumers[1]: uniqueness violation: 'consumers' entity with primary key set to '${declarativeId('consumers', 'u')}' already declared`,
      "consumers[1]: uniqueness violation: 'consumers' entity with username set to 'u' already declared",
    ]);
  });

  it('rejects a nested entity that names its parent itself, and unknown keys', () => {
    expect(wheres({ _format_version: '3.0', services: [{ name: 's', host: 'a.test', routes: [{ paths: ['/'], service: 's' }] }], nope: [] })).toEqual([
      'nope: unknown field',
      'services[0].routes[0].service: value must be null',
    ]);
  });

  it('requires _format_version 3.0 and an object', () => {
    expect(wheres({ services: [] })).toEqual(['_format_version: required field missing']);
    expect(wheres({ _format_version: '9' })).toEqual(['_format_version: expected one of: 3.0']);
    expect(wheres('bobby tables')).toEqual([': failed parsing declarative configuration: expected an object']);
    expect(parseDeclarative([]).errors).toHaveLength(1);
  });

  it("answers Kong's code 14 body with nested fields and flattened_errors", () => {
    const { errors } = load({ _format_version: '3.0', services: [{ host: 'a.test' }, { name: 'n', port: -1, routes: [{ paths: 5 }] }] });
    const body = new DeclarativeConfigError(errors).toBody();
    expect(body).toMatchObject({ code: 14, name: 'invalid declarative configuration' });
    expect(body.message).toMatch(/^declarative config is invalid: services\[1\]\.host: required field missing; /);
    const fields = body.fields as { services: ({ host?: string; port?: string; routes?: { paths: string }[] } | null)[] };
    expect(JSON.parse(JSON.stringify(fields.services))).toEqual([null, { host: 'required field missing', port: 'value should be between 0 and 65535', routes: [{ paths: 'expected an array' }] }]);
    expect(body.flattened_errors.map((f) => [f.entity_type, f.entity_name, f.errors.map((x) => 'field' in x && x.field)])).toEqual([
      ['service', 'n', ['host', 'port']],
      ['route', undefined, ['paths']],
    ]);
  });
});

describe('declarative config: export', () => {
  const doc = {
    _format_version: '3.0',
    services: [{ name: 's', host: 'a.test', routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'limits' }] }] }],
    consumers: [{ username: 'bob', keyauth_credentials: [{ key: 'k' }] }],
    upstreams: [{ name: 'u', targets: [{ target: '10.0.0.1' }] }],
    plugins: [{ name: 'limits', route: 'r', consumer: 'bob', config: { minute: 2 } }],
  };

  it('nests children under their one owner and keeps multi-owner plugins at the top level', () => {
    const e = ok(doc);
    const out = exportDeclarative(e, { nested: true }) as Record<string, Record<string, unknown>[]>;
    expect(out).toMatchObject({ _format_version: '3.0', _transform: false });
    expect(Object.keys(out).sort()).toEqual(['_format_version', '_transform', 'consumers', 'plugins', 'services', 'upstreams']);
    const route = (out.services[0].routes as Record<string, unknown>[])[0];
    expect(route).not.toHaveProperty('service');
    expect((route.plugins as Record<string, unknown>[])[0]).not.toHaveProperty('route', expect.anything());
    expect(out.plugins[0]).toMatchObject({ route: { id: e.routes[0].id }, consumer: { id: e.consumers[0].id } });
    expect((out.consumers[0].keyauth_credentials as unknown[]).length).toBe(1);
    expect((out.upstreams[0].targets as unknown[]).length).toBe(1);
  });

  it('round-trips: nested and flat exports load back to the same entities', () => {
    const e = ok(doc);
    for (const nested of [true, false]) expect(ok(exportDeclarative(e, { nested }))).toEqual(e);
  });

  it('puts every collection at the top level in the flat form, references as {id}', () => {
    const e = ok(doc);
    const out = exportDeclarative(e, { nested: false }) as Record<string, Record<string, unknown>[]>;
    expect(out.routes[0].service).toEqual({ id: e.services[0].id });
    expect(out.targets[0].upstream).toEqual({ id: e.upstreams[0].id });
    expect(out.plugins).toHaveLength(2);
  });
});
