// The plugins entity (kong/db/schema/entities/plugins.lua). The entity's own fields are checked here;
// its `config` is checked by the named plugin's schema, which the caller supplies (libs/schema imports
// no plugin), so the control plane and the data plane check configs with the same code.
import { type EntitySchema, validateEntity, type ValidateOptions, type WriteKind } from '../entity';
import { type FieldErrors, schemaViolation } from '../errors';
import { type FieldDef, validateValue } from '../fields';
import { id, protocols, tags, timestamp, utf8Name } from './typedefs';

export interface Plugin {
  id: string;
  created_at: number;
  updated_at: number;
  name: string;
  instance_name: string | null;
  route: { id: string } | null;
  service: { id: string } | null;
  consumer: { id: string } | null;
  config: Record<string, unknown>;
  protocols: string[];
  enabled: boolean;
  tags: string[] | null;
}

/** What the entity needs to know of a plugin; libs/plugins' schemas satisfy it. */
export interface PluginDefinition {
  name: string;
  config: Extract<FieldDef, { type: 'record' }>;
  protocols?: readonly string[];
  noConsumer?: boolean;
  noRoute?: boolean;
  noService?: boolean;
}

export type PluginLookup = (name: string) => PluginDefinition | undefined;

const DEFAULT_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https'];

export const pluginSchema: EntitySchema = {
  name: 'plugins',
  endpointKey: 'instance_name',
  uniques: [['name', 'route', 'service', 'consumer']],
  fields: {
    id,
    created_at: timestamp,
    updated_at: timestamp,
    name: { type: 'string', required: true },
    instance_name: utf8Name,
    route: { type: 'foreign', reference: 'routes', onDelete: 'cascade' },
    service: { type: 'foreign', reference: 'services', onDelete: 'cascade' },
    consumer: { type: 'foreign', reference: 'consumers', onDelete: 'cascade' },
    config: { type: 'any' },
    protocols: { type: 'set', required: true, default: DEFAULT_PROTOCOLS, len_min: 1, elements: { type: 'string', oneOf: protocols } },
    enabled: { type: 'boolean', required: true, default: true },
    tags,
  },
};

/** Kong's message for a plugin that this node does not have. */
export function unknownPluginMessage(name: string): string {
  return `plugin '${name}' not enabled; add it to the 'plugins' configuration property`;
}

/**
 * Validates a plugin entity and its config against the named plugin's schema, filling the config's
 * defaults so that GET returns the whole config. Throws a schema violation naming every bad field.
 */
export function validatePlugin(
  input: Record<string, unknown>,
  kind: WriteKind,
  lookup: PluginLookup,
  opts: ValidateOptions = {},
): Plugin {
  // a plugin's protocols default to the ones that plugin supports (Kong: the plugin schema's own default)
  const name = typeof input.name === 'string' ? input.name : opts.existing?.name;
  const known = typeof name === 'string' ? lookup(name) : undefined;
  const withDefaults = known?.protocols && input.protocols === undefined && kind !== 'update' ? { ...input, protocols: [...known.protocols] } : input;
  const entity = validateEntity<Plugin>(pluginSchema, withDefaults, kind, opts);
  const def = lookup(entity.name);
  if (!def) throw schemaViolation({ name: unknownPluginMessage(entity.name) });
  const errors: FieldErrors = {};
  const config = validateValue(def.config, entity.config ?? {}, opts.fromForm ?? false);
  if (config.error !== undefined) {
    if (typeof config.error === 'object' && !Array.isArray(config.error)) {
      // Kong reports the config's own cross-field rules at the top level, not under `config`
      const { '@entity': entityErrors, ...fieldErrors } = config.error as FieldErrors;
      if (entityErrors !== undefined) errors['@entity'] = entityErrors;
      if (Object.keys(fieldErrors).length) errors.config = fieldErrors;
    } else errors.config = config.error;
  }
  if (def.noConsumer && entity.consumer) errors.consumer = 'value must be null';
  if (def.noRoute && entity.route) errors.route = 'value must be null';
  if (def.noService && entity.service) errors.service = 'value must be null';
  const allowed = def.protocols ?? DEFAULT_PROTOCOLS;
  const bad = entity.protocols.map((p) => (allowed.includes(p) ? null : `expected one of: ${allowed.join(', ')}`));
  if (bad.some((b) => b !== null)) errors.protocols = bad;
  if (Object.keys(errors).length) throw schemaViolation(errors);
  return { ...entity, config: config.value as Record<string, unknown> };
}
