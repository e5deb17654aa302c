import { validateEntity } from '../entity';
import { routeSchema } from './route';
import { fieldsOf } from '../testing/violations';

const create = (input: Record<string, unknown>, fromForm = false) =>
  validateEntity<Record<string, unknown>>(routeSchema, input, 'create', { fromForm });

describe('routes schema', () => {
  it("fills in Kong's defaults", () => {
    expect(create({ paths: ['/hello'] })).toMatchObject({
      protocols: ['http', 'https'],
      https_redirect_status_code: 426,
      strip_path: true,
      preserve_host: false,
      regex_priority: 0,
      path_handling: 'v0',
      request_buffering: true,
      response_buffering: true,
      methods: null,
      hosts: null,
      headers: null,
      service: null,
    });
  });

  it('refuses a route without any matching field, as Kong words it', () => {
    expect(fieldsOf(() => create({ name: 'r' }))).toEqual({
      '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"],
    });
    expect(fieldsOf(() => create({ name: 'r', protocols: ['http'] }))).toEqual({
      '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"],
    });
  });

  it('names the bad path by its position', () => {
    expect(fieldsOf(() => create({ paths: ['/ok', 'nope'] }))).toEqual({
      paths: [null, 'should start with: / (fixed path) or ~/ (regex path)'],
    });
  });

  it('accepts regex paths and rejects ones that do not compile', () => {
    expect(create({ paths: ['~/v\\d+/users$'] }).paths).toEqual(['~/v\\d+/users$']);
    expect(fieldsOf(() => create({ paths: ['~/(unclosed'] }))).toEqual({ paths: ["invalid regex: '/(unclosed'"] });
  });

  it('coerces a single form value into an array and "false" into a boolean', () => {
    expect(create({ paths: '/hello', strip_path: 'false' }, true)).toMatchObject({ paths: ['/hello'], strip_path: false });
  });

  it('lower-cases header names and refuses a host header', () => {
    expect(create({ headers: { 'X-Version': ['v1'] } }).headers).toEqual({ 'x-version': ['v1'] });
    expect(fieldsOf(() => create({ paths: ['/'], headers: { Host: ['a'] } }))).toEqual({
      headers: "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
    });
  });

  it('accepts wildcard hosts at either end only', () => {
    expect(create({ hosts: ['*.example.test', 'example.*', 'a.test:8080'] }).hosts).toHaveLength(3);
    expect(fieldsOf(() => create({ hosts: ['a.*.test'] }))).toEqual({
      hosts: ['invalid wildcard: must be placed at leftmost or rightmost label'],
    });
  });

  it('rejects lower-case methods and unknown protocols', () => {
    expect(fieldsOf(() => create({ methods: ['get'] }))).toEqual({ methods: ['invalid value: get'] });
    expect(fieldsOf(() => create({ paths: ['/'], protocols: ['gopher'] }))).toEqual({
      protocols: ['expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp, ws, wss'],
    });
  });

  it('takes the service reference as {id}', () => {
    const id = '7d2a3b0e-1c1e-4a8e-9f0e-1b2c3d4e5f60';
    expect(create({ paths: ['/'], service: { id } }).service).toEqual({ id });
    expect(fieldsOf(() => create({ paths: ['/'], service: { id: 'nope' } }))).toEqual({ service: { id: 'expected a valid UUID' } });
  });
});
