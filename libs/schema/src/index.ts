export * from './types';
export * from './errors';
export * from './fields';
export * from './entity';
export * from './canonical';
export * from './proxy-errors';
export { serviceSchema } from './entities/service';
export { routeSchema } from './entities/route';
export { isValidHostname } from './entities/typedefs';
export { validateConfig, validateConfigSteps, validateStored, type ValidationMemo } from './validate-config';
export { IncrementalConfig, entityKey, type EntityChange } from './incremental-config';
export { forEachInSteps, runSteps, sortSteps, type Steps } from './steps';
export * from './declarative';
export { consumerSchema, type Consumer } from './entities/consumer';
export {
  pluginSchema,
  validatePlugin,
  unknownPluginMessage,
  type Plugin,
  type PluginDefinition,
  type PluginLookup,
} from './entities/plugin';
export {
  keyAuthSchema,
  basicAuthSchema,
  jwtSecretSchema,
  aclSchema,
  basicAuthHash,
  JWT_ALGORITHMS,
  type KeyAuthCredential,
  type BasicAuthCredential,
  type JwtSecret,
  type Acl,
} from './entities/credentials';
export { ENTITY_SCHEMAS, entitySchema, adminPathOf } from './entities/registry';
export { upstreamSchema, UPSTREAM_ALGORITHMS, HASH_ON, type Upstream, type HashOn } from './entities/upstream';
export { type Healthchecks, type CircuitBreaker } from './entities/upstream-health';
export { targetSchema, normalizeTarget, TARGET_DEFAULT_PORT, type Target } from './entities/target';
export { certificateSchema, type Certificate } from './entities/certificate';
export { sniSchema, type Sni } from './entities/sni';
export { caCertificateSchema, type CaCertificate } from './entities/ca-certificate';
export { applyDeltaSteps, ConfigIndex, type AppliedDelta, type ConfigDelta } from './config-delta';
export { composeChanges, deltaSize, diffByIdentity, entityCount, diffByIdentitySteps, diffConfigs, emptyRemoved, patchConfig, patchConfigSteps, type IdentityChanges, type SnapshotChanges } from './config-diff';
