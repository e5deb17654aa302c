// Renders schemas the way Kong's GET /schemas does (kong/api/api_helpers.lua schema_to_jsonable):
// `fields` is an ordered array of single-key objects, each attribute under Kong's name (`one_of`,
// `between`, `elements`, `reference`…), and nothing that is code (checks, generated defaults).
import { pluginSchema, type EntityFields, type EntitySchema, type FieldDef, type PluginDefinition } from '@archway/schema';

export type JsonField = Record<string, unknown>;
export interface SchemaJson {
  fields: Record<string, JsonField>[];
}

/** The plugins entity's `protocols` field: its default and every protocol a plugin may name. */
const PLUGIN_PROTOCOLS = pluginSchema.fields.protocols as Extract<FieldDef, { type: 'set' }>;

/** One field definition in Kong's JSON shape. */
export function fieldJson(def: FieldDef): JsonField {
  // a value of any shape only exists as a plugin's config, which Kong declares an abstract record
  if (def.type === 'any') return { type: 'record', abstract: true };
  const out: JsonField = { type: def.type };
  if (def.required) out.required = true;
  if ('uuid' in def && def.uuid) out.uuid = true;
  if ('auto' in def && def.auto) out.auto = true;
  if ('unique' in def && def.unique) out.unique = true;
  const dflt = def.default;
  // generated defaults (functions) are not data; a null default only means something on a record
  if (dflt !== undefined && typeof dflt !== 'function' && (dflt !== null || def.type === 'record')) out.default = dflt;
  switch (def.type) {
    case 'string':
      if (def.len_min !== undefined) out.len_min = def.len_min;
      if (def.len_max !== undefined) out.len_max = def.len_max;
      if (def.oneOf) out.one_of = [...def.oneOf];
      break;
    case 'integer':
    case 'number':
      if (def.oneOf) out.one_of = [...def.oneOf];
      if (def.gt !== undefined) out.gt = def.gt;
      if (def.between) out.between = [...def.between];
      break;
    case 'array':
    case 'set':
      if (def.len_min !== undefined) out.len_min = def.len_min;
      out.elements = fieldJson(def.elements);
      break;
    case 'map':
      out.keys = fieldJson(def.keys);
      out.values = fieldJson(def.values);
      break;
    case 'record':
      out.fields = fieldsJson(def.fields);
      break;
    case 'foreign':
      out.reference = def.reference;
      if (def.onDelete) out.on_delete = def.onDelete;
      break;
  }
  return out;
}

/** Fields in declaration order, as Kong's ordered field list. */
export function fieldsJson(fields: EntityFields): Record<string, JsonField>[] {
  return Object.entries(fields).map(([name, def]) => ({ [name]: fieldJson(def) }));
}

/** GET /schemas/{entity}. */
export function entitySchemaJson(schema: EntitySchema): SchemaJson {
  return { fields: fieldsJson(schema.fields) };
}

/**
 * GET /schemas/plugins/{name}: the plugin's own schema as Kong's plugin schema.lua declares it — the
 * scopes it refuses (typedefs.no_consumer: `eq: null`), the protocols it runs on, and its config.
 */
export function pluginSchemaJson(plugin: PluginDefinition): SchemaJson {
  const fields: Record<string, JsonField>[] = [];
  if (plugin.noConsumer) fields.push({ consumer: { type: 'foreign', reference: 'consumers', eq: null } });
  if (plugin.noService) fields.push({ service: { type: 'foreign', reference: 'services', eq: null } });
  if (plugin.noRoute) fields.push({ route: { type: 'foreign', reference: 'routes', eq: null } });
  // a plugin that names its protocols defaults to them (as validatePlugin does); others take the entity's
  const protocols = fieldJson(PLUGIN_PROTOCOLS);
  if (plugin.protocols) {
    protocols.default = [...plugin.protocols];
    protocols.elements = { type: 'string', one_of: [...plugin.protocols] };
  }
  fields.push({ protocols });
  fields.push({ config: { ...fieldJson(plugin.config), required: true } });
  return { fields };
}
