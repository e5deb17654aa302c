// The bundled plugins' handlers by name: what a data plane can run. A plugin configured in a snapshot
// without a handler here makes compileChains refuse the snapshot (NACK).
import type { PluginHandler } from '@archway/pipeline';
import { aclHandler } from './acl/handler';
import { basicAuthHandler } from './basic-auth/handler';
import { canaryHandler } from './canary/handler';
import { correlationIdHandler } from './correlation-id/handler';
import { corsHandler } from './cors/handler';
import { externalHandler } from './external/handler';
import { fileLogHandler } from './file-log/handler';
import { httpLogHandler } from './http-log/handler';
import { ipRestrictionHandler } from './ip-restriction/handler';
import { jwtHandler } from './jwt/handler';
import { keyAuthHandler } from './key-auth/handler';
import { opentelemetryHandler } from './opentelemetry/handler';
import { proxyCacheHandler } from './proxy-cache/handler';
import { rateLimitingHandler } from './rate-limiting/handler';
import { requestSizeLimitingHandler } from './request-size-limiting/handler';
import { requestTerminationHandler } from './request-termination/handler';
import { requestTransformerHandler } from './request-transformer/handler';
import { responseTransformerHandler } from './response-transformer/handler';

const ALL = [
  correlationIdHandler,
  corsHandler,
  jwtHandler,
  keyAuthHandler,
  basicAuthHandler,
  ipRestrictionHandler,
  requestSizeLimitingHandler,
  aclHandler,
  rateLimitingHandler,
  requestTransformerHandler,
  responseTransformerHandler,
  requestTerminationHandler,
  externalHandler,
  canaryHandler,
  proxyCacheHandler,
  opentelemetryHandler,
  httpLogHandler,
  fileLogHandler,
] as unknown as PluginHandler[];

export const BUNDLED_HANDLERS: ReadonlyMap<string, PluginHandler> = new Map(ALL.map((h) => [h.name, h]));
