// What every bundled plugin declares about itself (Kong's handler PRIORITY/VERSION plus schema.lua).
import type { FieldDef } from '@archway/schema';

export interface PluginSchema {
  name: string;
  version: string;
  /** higher runs first (Kong's PRIORITY) */
  priority: number;
  /** protocols the plugin may run on (Kong's default: grpc, grpcs, http, https) */
  protocols?: readonly string[];
  /** whether it may be scoped to a consumer (Kong's no_consumer = true for e.g. key-auth) */
  noConsumer?: boolean;
  noRoute?: boolean;
  noService?: boolean;
  config: Extract<FieldDef, { type: 'record' }>;
}

/**
 * Kong's bundled plugins carry Kong's own version (kong_meta.version); ours carry Archway's, so that
 * the control plane's compatibility check (same major, minor <= CP's) compares like with like.
 * Keep it equal to ARCHWAY_VERSION in libs/config (which plugins may not import).
 */
export const BUNDLED_PLUGIN_VERSION = '0.1.0';

/** Kong's typedefs.protocols_http: the plugins that only make sense on HTTP traffic. */
export const PROTOCOLS_HTTP = ['http', 'https'] as const;

/** Kong's typedefs.protocols (every protocol a route may have). */
export const PROTOCOLS_ALL = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp', 'ws', 'wss'] as const;
