// The bundled plugins' schemas: names, priorities, versions and config definitions (Kong's, plus
// Archway's canary and external). Handlers will live beside each schema.
import { aclSchema } from './acl/schema';
import { basicAuthSchema } from './basic-auth/schema';
import { canarySchema } from './canary/schema';
import { correlationIdSchema } from './correlation-id/schema';
import { corsSchema } from './cors/schema';
import { externalSchema } from './external/schema';
import { fileLogSchema } from './file-log/schema';
import { httpLogSchema } from './http-log/schema';
import { ipRestrictionSchema } from './ip-restriction/schema';
import { jwtSchema } from './jwt/schema';
import { keyAuthSchema } from './key-auth/schema';
import { opentelemetrySchema } from './opentelemetry/schema';
import type { PluginSchema } from './plugin-schema';
import { proxyCacheSchema } from './proxy-cache/schema';
import { rateLimitingSchema } from './rate-limiting/schema';
import { requestSizeLimitingSchema } from './request-size-limiting/schema';
import { requestTerminationSchema } from './request-termination/schema';
import { requestTransformerSchema } from './request-transformer/schema';
import { responseTransformerSchema } from './response-transformer/schema';

export type { PluginSchema } from './plugin-schema';
export { BUNDLED_HANDLERS } from './handlers';
export { BUNDLED_PLUGIN_VERSION } from './plugin-schema';
/** the local rate-limiting counters, which a multi-process data plane's primary keeps for the whole node */
export { LocalCounters } from './rate-limiting/policies/local';

const ALL: readonly PluginSchema[] = [
  keyAuthSchema,
  basicAuthSchema,
  jwtSchema,
  aclSchema,
  rateLimitingSchema,
  requestSizeLimitingSchema,
  ipRestrictionSchema,
  corsSchema,
  requestTerminationSchema,
  requestTransformerSchema,
  responseTransformerSchema,
  correlationIdSchema,
  opentelemetrySchema,
  httpLogSchema,
  fileLogSchema,
  proxyCacheSchema,
  canarySchema,
  externalSchema,
];

/** Every bundled plugin by name, iterated in execution order (highest priority first). */
export const BUNDLED_PLUGINS: ReadonlyMap<string, PluginSchema> = new Map(
  [...ALL].sort((a, b) => b.priority - a.priority).map((p) => [p.name, p]),
);

export function pluginSchema(name: string): PluginSchema | undefined {
  return BUNDLED_PLUGINS.get(name);
}
