// external: Archway's external plugin services (issue 5). In the access phase the gateway sends the
// request's method, path, selected headers, consumer and route (and the body if asked) to a plugin
// service over HTTP or gRPC; the service answers continue (optionally changing upstream headers) or
// exit (status, headers, body). The contract is published in docs/plugins/external.md.
import { configChecks } from '../checks';
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_HTTP, type PluginSchema } from '../plugin-schema';
import { headerName, timeout, url, urlScheme } from '../typedefs';

const SCHEMES: Record<string, readonly string[]> = {
  http: ['http', 'https'],
  grpc: ['grpc', 'grpcs', 'http', 'https'],
};

/** The URL's scheme must suit the protocol: http(s) for http; grpc(s) (or http(s)) for grpc. */
function schemeMatchesProtocol(config: Record<string, unknown>): string | null {
  const protocol = config.protocol as string;
  const scheme = urlScheme(config.url as string);
  if (scheme !== null && !SCHEMES[protocol].includes(scheme))
    return `url scheme '${scheme}' cannot be used with protocol '${protocol}'; expected one of: ${SCHEMES[protocol].join(', ')}`;
  return null;
}

export const externalSchema: PluginSchema = {
  name: 'external',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 750,
  protocols: PROTOCOLS_HTTP,
  config: {
    type: 'record',
    fields: {
      /** the plugin service: http(s)://host:port/path, or grpc(s)://host:port for protocol grpc */
      url: { ...url, required: true },
      protocol: { type: 'string', required: true, default: 'http', oneOf: ['http', 'grpc'] },
      /** milliseconds for the whole call, connect included */
      timeout: { ...timeout(1000), required: true },
      /** on timeout or error: true = continue to the upstream, false = answer 500 */
      fail_open: { type: 'boolean', required: true, default: false },
      /** milliseconds an idle connection to the service is kept open; 0 = a new connection per call */
      keepalive: { ...timeout(60000), required: true },
      /** request headers sent to the service (case-insensitive); others are not sent */
      headers: { type: 'array', required: true, default: [], elements: headerName },
      /** also send the request body (buffers it) */
      include_body: { type: 'boolean', required: true, default: false },
    },
    check: configChecks([], schemeMatchesProtocol),
  },
};
