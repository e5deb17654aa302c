// opentelemetry (kong/plugins/opentelemetry/schema.lua and kong/observability/tracing/propagation/
// schema.lua, Kong 3.9): traces exported over OTLP/HTTP protobuf, batched through Kong's queue, and the
// trace context extracted from and injected into the request headers. Formats Archway does not speak
// (ot, datadog, aws, gcp) and OTLP logs are refused with a message, never accepted and ignored.
import { atLeastOneOf, configChecks, setFieldError, type ConfigCheck } from '../checks';
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_HTTP, type PluginSchema } from '../plugin-schema';
import { queueConfig } from '../queue';
import { headerName, headerNameError, timeout, url } from '../typedefs';

/** the formats Archway extracts and injects */
export const SUPPORTED_FORMATS = ['w3c', 'b3', 'b3-single', 'jaeger'] as const;
export type PropagationFormat = (typeof SUPPORTED_FORMATS)[number];

/** Kong's FORMATS (kong/observability/tracing/propagation/utils.lua); b3-single is injected only */
const KONG_EXTRACTORS = ['w3c', 'b3', 'jaeger', 'ot', 'datadog', 'aws', 'gcp'] as const;
const KONG_INJECTORS = ['w3c', 'b3', 'b3-single', 'jaeger', 'ot', 'datadog', 'aws', 'gcp'] as const;
/** the deprecated header_type's values */
const KONG_HEADER_TYPES = ['preserve', 'ignore', 'b3', 'b3-single', 'w3c', 'jaeger', 'ot', 'aws', 'gcp', 'datadog'] as const;

function unsupportedFormat(v: string): string | null {
  return v === 'preserve' || v === 'ignore' || (SUPPORTED_FORMATS as readonly string[]).includes(v)
    ? null
    : `'${v}' propagation is not supported by Archway; use one of: ${SUPPORTED_FORMATS.join(', ')}`;
}

const format = (values: readonly string[]) => ({ type: 'string' as const, oneOf: values, check: unsupportedFormat });

/** Kong's resource_attributes custom_validator (values are strings in Kong 3.9's schema) */
const resourceAttributes = {
  type: 'map' as const,
  keys: { type: 'string' as const, required: true },
  values: { type: 'string' as const, required: true },
};

/** OTLP logs (Kong's logs_endpoint) are not exported yet: say so rather than drop them silently. */
const noLogsEndpoint: ConfigCheck = (config, errors) => {
  if (config.logs_endpoint !== null && config.logs_endpoint !== undefined)
    setFieldError(errors, 'logs_endpoint', 'not supported: Archway exports traces only; remove logs_endpoint (or send logs with http-log)');
};

export const opentelemetrySchema: PluginSchema = {
  name: 'opentelemetry',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 14,
  protocols: PROTOCOLS_HTTP,
  config: {
    type: 'record',
    fields: {
      /** OTLP/HTTP protobuf, e.g. http://jaeger:4318/v1/traces */
      traces_endpoint: url,
      logs_endpoint: url,
      /** extra headers on each export request (an APM's token) */
      headers: { type: 'map', keys: headerName, values: { type: 'string' } },
      resource_attributes: resourceAttributes,
      queue: { ...queueConfig, fields: { ...queueConfig.fields, max_batch_size: { type: 'integer', default: 200, between: [1, 1000000] } } },
      /** deprecated (Kong 3.3): queue.max_batch_size */
      batch_span_count: { type: 'integer' },
      /** deprecated (Kong 3.3): queue.max_coalescing_delay */
      batch_flush_delay: { type: 'integer' },
      /** milliseconds */
      connect_timeout: timeout(1000),
      send_timeout: timeout(5000),
      read_timeout: timeout(5000),
      /** a response header carrying the trace id (hex) */
      http_response_header_for_traceid: { type: 'string', check: headerNameError },
      /** deprecated (Kong 3.7): the propagation record */
      header_type: { ...format(KONG_HEADER_TYPES), default: 'preserve' },
      /** probability of sampling a trace no incoming header decided (null: 1, every trace) */
      sampling_rate: { type: 'number', between: [0, 1] },
      propagation: {
        type: 'record',
        fields: {
          /** formats tried in order on incoming headers; the first found wins (unset: b3, w3c, jaeger) */
          extract: { type: 'array', elements: format(KONG_EXTRACTORS) },
          /** request headers removed after extraction */
          clear: { type: 'array', elements: { type: 'string', check: headerNameError } },
          /** formats injected upstream; `preserve` is the incoming one (else default_format) */
          inject: { type: 'array', elements: format(['preserve', ...KONG_INJECTORS]) },
          default_format: { ...format(KONG_INJECTORS), required: true, default: 'w3c' },
        },
      },
    },
    shorthands: {
      // deprecated in Kong 3.6
      endpoint: (v) => ({ traces_endpoint: v }),
    },
    check: configChecks([atLeastOneOf('traces_endpoint', 'logs_endpoint'), noLogsEndpoint]),
  },
};
