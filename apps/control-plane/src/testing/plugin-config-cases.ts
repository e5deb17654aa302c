// One row per bundled plugin for admin/plugins-validation.spec.ts: a good config and what the Admin
// API stores for it (Kong 3.9's defaults, written out so a changed default fails loudly), a form
// body with dotted keys, and bad configs with the `fields` Kong answers.

type Config = Record<string, unknown>;

export interface PluginCase {
  name: string;
  good: Config;
  /** the whole config GET /plugins/{id} returns for `good` */
  stored: Config;
  protocols: string[];
  /** form-urlencoded body after `name=…&` */
  form: string;
  /** part of the stored config the form body produced (values coerced from strings) */
  formStored: Config;
  /** [label, config, expected `fields` of the 400] */
  bad: [string, Config, Config][];
}

const HTTP = ['http', 'https'];
const DEFAULT_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https'];
const ALL_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp', 'ws', 'wss'];
const CORS_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'];
const badHeader = (v: string) => `bad header name '${v}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`;
const oneOf = (...v: string[]) => `expected one of: ${v.join(', ')}`;
const REQUIRED = 'required field missing';
const emptyOps = (fields: string[]) => Object.fromEntries(fields.map((f) => [f, []]));

export const PLUGIN_CASES: PluginCase[] = [
  {
    name: 'key-auth',
    good: {},
    stored: { key_names: ['apikey'], hide_credentials: false, anonymous: null, key_in_header: true, key_in_query: true, key_in_body: false, run_on_preflight: true, realm: null },
    protocols: HTTP,
    form: 'config.key_names[]=x-api-key&config.key_names[]=apikey&config.hide_credentials=true',
    formStored: { key_names: ['x-api-key', 'apikey'], hide_credentials: true },
    bad: [
      ['a bad header name in key_names', { key_names: ['api key'] }, { config: { key_names: [badHeader('api key')] } }],
      ['a non-boolean hide_credentials', { hide_credentials: 'maybe' }, { config: { hide_credentials: 'expected a boolean' } }],
    ],
  },
  {
    name: 'basic-auth',
    good: {},
    stored: { anonymous: null, hide_credentials: false, realm: 'service' },
    protocols: HTTP,
    form: 'config.hide_credentials=true&config.realm=api',
    formStored: { hide_credentials: true, realm: 'api' },
    bad: [['a non-boolean hide_credentials', { hide_credentials: 1 }, { config: { hide_credentials: 'expected a boolean' } }]],
  },
  {
    name: 'jwt',
    good: {},
    stored: {
      uri_param_names: ['jwt'], cookie_names: [], key_claim_name: 'iss', secret_is_base64: false, claims_to_verify: null, anonymous: null,
      run_on_preflight: true, maximum_expiration: 0, header_names: ['authorization'], realm: null,
    },
    protocols: HTTP,
    form: 'config.claims_to_verify=exp&config.maximum_expiration=3600',
    formStored: { claims_to_verify: ['exp'], maximum_expiration: 3600 },
    bad: [
      ['a claim it cannot verify', { claims_to_verify: ['iat'] }, { config: { claims_to_verify: [oneOf('exp', 'nbf')] } }],
      ['maximum_expiration without exp in claims_to_verify', { claims_to_verify: ['nbf'], maximum_expiration: 60 }, {
        '@entity': ["failed conditional validation given value of field 'config.maximum_expiration'"],
        config: { claims_to_verify: 'expected to contain: exp' },
      }],
      ['maximum_expiration over a year', { maximum_expiration: 31536001 }, { config: { maximum_expiration: 'value should be between 0 and 31536000' } }],
    ],
  },
  {
    name: 'acl',
    good: { allow: ['admins'] },
    stored: { allow: ['admins'], deny: null, hide_groups_header: false, always_use_authenticated_groups: false },
    protocols: HTTP,
    form: 'config.deny[]=banned&config.hide_groups_header=true',
    formStored: { allow: null, deny: ['banned'], hide_groups_header: true },
    bad: [
      ['neither allow nor deny', {}, { '@entity': ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"] }],
      ['both allow and deny', { allow: ['a'], deny: ['b'] }, { '@entity': ["only one of these fields must be non-empty: 'config.allow', 'config.deny'"] }],
    ],
  },
  {
    name: 'rate-limiting',
    good: { minute: 5 },
    stored: {
      second: null, minute: 5, hour: null, day: null, month: null, year: null, limit_by: 'consumer', header_name: null, path: null,
      policy: 'local', fault_tolerant: true,
      redis: { host: null, port: 6379, timeout: 2000, username: null, password: null, database: 0, ssl: false, ssl_verify: false, server_name: null },
      hide_client_headers: false, error_code: 429, error_message: 'API rate limit exceeded', sync_rate: -1,
    },
    protocols: HTTP,
    form: 'config.minute=5&config.hour=100&config.limit_by=ip',
    formStored: { minute: 5, hour: 100, limit_by: 'ip' },
    bad: [
      ['no limit at all', {}, {
        '@entity': ["at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'"],
      }],
      ['a negative limit', { minute: -1 }, { config: { minute: 'value must be greater than 0' } }],
      ['the redis policy without a host', { minute: 5, policy: 'redis' }, {
        '@entity': ["failed conditional validation given value of field 'config.policy'"],
        config: { redis: { host: REQUIRED } },
      }],
      ['limit_by header without header_name', { minute: 5, limit_by: 'header' }, {
        '@entity': ["failed conditional validation given value of field 'config.limit_by'"],
        config: { header_name: REQUIRED },
      }],
      ['an hour limit lower than the minute one', { minute: 10, hour: 5 }, { config: 'The limit for hour(5.0) cannot be lower than the limit for minute(10.0)' }],
      ['a batched sync_rate (not implemented)', { minute: 5, policy: 'redis', redis: { host: 'cache' }, sync_rate: 10 }, {
        config: { sync_rate: 'not supported: only -1 (every request counted in Redis at once) is implemented' },
      }],
    ],
  },
  {
    name: 'request-size-limiting',
    good: {},
    stored: { allowed_payload_size: 128, size_unit: 'megabytes', require_content_length: false },
    protocols: HTTP,
    form: 'config.allowed_payload_size=10&config.size_unit=kilobytes&config.require_content_length=true',
    formStored: { allowed_payload_size: 10, size_unit: 'kilobytes', require_content_length: true },
    bad: [
      ['an unknown size unit', { size_unit: 'gigabytes' }, { config: { size_unit: oneOf('megabytes', 'kilobytes', 'bytes') } }],
      ['a fractional size', { allowed_payload_size: 1.5 }, { config: { allowed_payload_size: 'expected an integer' } }],
    ],
  },
  {
    name: 'ip-restriction',
    good: { allow: ['10.0.0.0/8'] },
    stored: { allow: ['10.0.0.0/8'], deny: null, status: null, message: null },
    protocols: ['http', 'https', 'tcp', 'tls', 'grpc', 'grpcs'],
    form: 'config.deny[]=192.0.2.1&config.deny[]=2001:db8::/32&config.status=401',
    formStored: { deny: ['192.0.2.1', '2001:db8::/32'], status: 401 },
    bad: [
      ['neither allow nor deny', {}, { '@entity': ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"] }],
      ['an address that is not one', { allow: ['999.0.0.1'] }, { config: { allow: ["invalid ip or cidr range: '999.0.0.1'"] } }],
    ],
  },
  {
    name: 'cors',
    good: {},
    stored: {
      origins: null, headers: null, exposed_headers: null, methods: CORS_METHODS, max_age: null, credentials: false,
      private_network: false, preflight_continue: false, allow_origin_absent: true,
    },
    protocols: HTTP,
    form: 'config.origins[]=https://app.test&config.methods[]=GET&config.max_age=3600&config.credentials=true',
    formStored: { origins: ['https://app.test'], methods: ['GET'], max_age: 3600, credentials: true },
    bad: [
      ['an origin that is not a regex', { origins: ['(unclosed'] }, { config: { origins: ["'(unclosed' is not a valid regex"] } }],
      ['an unknown method', { methods: ['FETCH'] }, { config: { methods: [oneOf(...CORS_METHODS)] } }],
    ],
  },
  {
    name: 'request-termination',
    good: {},
    stored: { status_code: 503, message: null, content_type: null, body: null, echo: false, trigger: null },
    protocols: HTTP,
    form: 'config.status_code=403&config.message=Blocked',
    formStored: { status_code: 403, message: 'Blocked' },
    bad: [
      ['a status out of range', { status_code: 99 }, { config: { status_code: 'value should be between 100 and 599' } }],
      ['a message with a body', { message: 'm', body: 'b', content_type: 'text/plain' }, { config: 'message cannot be used with content_type or body' }],
    ],
  },
  {
    name: 'request-transformer',
    good: {},
    stored: {
      http_method: null,
      remove: emptyOps(['body', 'headers', 'querystring']),
      rename: emptyOps(['body', 'headers', 'querystring']),
      replace: { ...emptyOps(['body', 'headers', 'querystring']), uri: null },
      add: emptyOps(['body', 'headers', 'querystring']),
      append: emptyOps(['body', 'headers', 'querystring']),
    },
    protocols: HTTP,
    form: 'config.add.headers[]=x-added:1&config.remove.querystring[]=debug&config.http_method=POST',
    formStored: { http_method: 'POST', add: { headers: ['x-added:1'] }, remove: { querystring: ['debug'] } },
    bad: [
      ['a header without a value', { add: { headers: ['x-added'] } }, { config: { add: { headers: ['invalid value: x-added'] } } }],
      ['a lower-case method', { http_method: 'post' }, { config: { http_method: 'invalid value: post' } }],
    ],
  },
  {
    name: 'response-transformer',
    good: {},
    stored: {
      remove: emptyOps(['json', 'headers']),
      rename: emptyOps(['headers', 'json']),
      replace: emptyOps(['json', 'json_types', 'headers']),
      add: emptyOps(['json', 'json_types', 'headers']),
      append: emptyOps(['json', 'json_types', 'headers']),
    },
    protocols: HTTP,
    form: 'config.add.json[]=source:archway&config.add.json_types[]=string&config.remove.headers[]=server',
    formStored: { add: { json: ['source:archway'], json_types: ['string'] }, remove: { headers: ['server'] } },
    bad: [
      ['a JSON field without a value', { add: { json: ['source'] } }, { config: { add: { json: ["key 'source' has no value"] } } }],
      ['an unknown JSON type', { add: { json: ['a:1'], json_types: ['integer'] } }, { config: { add: { json_types: [oneOf('boolean', 'number', 'string')] } } }],
    ],
  },
  {
    name: 'correlation-id',
    good: {},
    stored: { header_name: 'Kong-Request-ID', generator: 'uuid#counter', echo_downstream: false },
    protocols: DEFAULT_PROTOCOLS,
    form: 'config.header_name=X-Correlation-ID&config.generator=uuid&config.echo_downstream=true',
    formStored: { header_name: 'X-Correlation-ID', generator: 'uuid', echo_downstream: true },
    bad: [['an unknown generator', { generator: 'random' }, { config: { generator: oneOf('uuid', 'uuid#counter', 'tracker') } }]],
  },
  {
    name: 'http-log',
    good: { http_endpoint: 'http://logs.test/ingest' },
    stored: {
      http_endpoint: 'http://logs.test/ingest', method: 'POST', content_type: 'application/json', timeout: 10000, keepalive: 60000, headers: null,
      queue: {
        max_batch_size: 1, max_coalescing_delay: 1, max_entries: 10000, max_bytes: null, max_retry_time: 60, initial_retry_delay: 0.01,
        max_retry_delay: 60, concurrency_limit: 1,
      },
      custom_fields_by_lua: null,
    },
    protocols: ALL_PROTOCOLS,
    form: 'config.http_endpoint=http://logs.test/ingest&config.queue.max_batch_size=10&config.method=PUT',
    formStored: { http_endpoint: 'http://logs.test/ingest', method: 'PUT', queue: { max_batch_size: 10 } },
    bad: [
      ['no http_endpoint', {}, { config: { http_endpoint: REQUIRED } }],
      ['an endpoint without a host', { http_endpoint: 'logs' }, { config: { http_endpoint: 'missing host in url' } }],
      ['a Content-Type header', { http_endpoint: 'http://logs.test', headers: { 'Content-Type': 'text/plain' } }, {
        config: { headers: { 'Content-Type': "cannot contain 'Content-Type' header" } },
      }],
    ],
  },
  {
    name: 'opentelemetry',
    good: { traces_endpoint: 'http://jaeger:4318/v1/traces' },
    stored: {
      traces_endpoint: 'http://jaeger:4318/v1/traces', logs_endpoint: null, headers: null, resource_attributes: null,
      queue: {
        max_batch_size: 200, max_coalescing_delay: 1, max_entries: 10000, max_bytes: null, max_retry_time: 60, initial_retry_delay: 0.01,
        max_retry_delay: 60, concurrency_limit: 1,
      },
      batch_span_count: null, batch_flush_delay: null, connect_timeout: 1000, send_timeout: 5000, read_timeout: 5000,
      http_response_header_for_traceid: null, header_type: 'preserve', sampling_rate: null,
      propagation: { extract: null, clear: null, inject: null, default_format: 'w3c' },
    },
    protocols: HTTP,
    form: 'config.traces_endpoint=http://jaeger:4318/v1/traces&config.sampling_rate=0.25&config.propagation.extract[]=w3c&config.propagation.extract[]=b3',
    formStored: { traces_endpoint: 'http://jaeger:4318/v1/traces', sampling_rate: 0.25, propagation: { extract: ['w3c', 'b3'], default_format: 'w3c' } },
    bad: [
      ['no endpoint', {}, { '@entity': ["at least one of these fields must be non-empty: 'config.traces_endpoint', 'config.logs_endpoint'"] }],
      ['an unsupported propagation format', { traces_endpoint: 'http://jaeger:4318/v1/traces', propagation: { inject: ['datadog'] } }, {
        config: { propagation: { inject: ["'datadog' propagation is not supported by Archway; use one of: w3c, b3, b3-single, jaeger"] } },
      }],
      ['a logs endpoint (OTLP logs are not exported)', { logs_endpoint: 'http://jaeger:4318/v1/logs' }, {
        config: { logs_endpoint: 'not supported: Archway exports traces only; remove logs_endpoint (or send logs with http-log)' },
      }],
    ],
  },
  {
    name: 'file-log',
    good: { path: '/tmp/archway-access.log' },
    stored: { path: '/tmp/archway-access.log', reopen: false, custom_fields_by_lua: null },
    protocols: ALL_PROTOCOLS,
    form: 'config.path=/tmp/archway-access.log&config.reopen=true',
    formStored: { path: '/tmp/archway-access.log', reopen: true },
    bad: [
      ['no path', {}, { config: { path: REQUIRED } }],
      ['a path with a wildcard', { path: '/tmp/*.log' }, { config: { path: 'not a valid filename' } }],
      ['Lua code', { path: '/tmp/a.log', custom_fields_by_lua: { a: 'return 1' } }, { config: { custom_fields_by_lua: 'not supported: Archway does not run Lua code' } }],
    ],
  },
  {
    name: 'proxy-cache',
    good: { strategy: 'memory' },
    stored: {
      response_code: [200, 301, 404], request_method: ['GET', 'HEAD'], content_type: ['text/plain', 'application/json'], cache_ttl: 300,
      strategy: 'memory', cache_control: false, ignore_uri_case: false, storage_ttl: null, memory: { dictionary_name: 'kong_db_cache' },
      vary_query_params: null, vary_headers: null, response_headers: { age: true, 'X-Cache-Status': true, 'X-Cache-Key': true },
    },
    protocols: ALL_PROTOCOLS,
    form: 'config.strategy=memory&config.cache_ttl=30&config.response_code[]=200&config.response_code[]=203',
    formStored: { strategy: 'memory', cache_ttl: 30, response_code: [200, 203] },
    bad: [
      ['no strategy', {}, { config: { strategy: REQUIRED } }],
      ['the redis strategy', { strategy: 'redis' }, { config: { strategy: oneOf('memory') } }],
      ['a zero ttl', { strategy: 'memory', cache_ttl: 0 }, { config: { cache_ttl: 'value must be greater than 0' } }],
    ],
  },
  {
    name: 'canary',
    good: { percentage: 10, upstream_host: 'canary.test' },
    stored: {
      percentage: 10, start: null, duration: 3600, steps: 1000, upstream_host: 'canary.test', upstream_port: null, upstream_uri: null,
      target_service: null, hash: 'consumer', hash_header: null, canary_by_header_name: null,
    },
    protocols: HTTP,
    form: 'config.percentage=25.5&config.upstream_host=canary.test&config.hash=ip',
    formStored: { percentage: 25.5, upstream_host: 'canary.test', hash: 'ip' },
    bad: [
      ['a share over 100', { percentage: 150, upstream_host: 'canary.test' }, { config: { percentage: 'value should be between 0 and 100' } }],
      ['no canary target', { percentage: 10 }, {
        '@entity': ["at least one of these fields must be non-empty: 'config.upstream_host', 'config.upstream_port', 'config.upstream_uri', 'config.target_service'"],
      }],
    ],
  },
  {
    name: 'external',
    good: { url: 'http://plugin.test/access' },
    stored: { url: 'http://plugin.test/access', protocol: 'http', timeout: 1000, fail_open: false, keepalive: 60000, headers: [], include_body: false },
    protocols: HTTP,
    form: 'config.url=grpc://plugin.test:9090&config.protocol=grpc&config.headers[]=x-tenant&config.fail_open=true',
    formStored: { url: 'grpc://plugin.test:9090', protocol: 'grpc', headers: ['x-tenant'], fail_open: true },
    bad: [
      ['no url', {}, { config: { url: REQUIRED } }],
      ['a grpc url with the http protocol', { url: 'grpc://plugin.test:9090' }, {
        config: "url scheme 'grpc' cannot be used with protocol 'http'; expected one of: http, https",
      }],
    ],
  },
];
