// GET /openapi.json: an OpenAPI 3.1 document generated from the entity schemas (field DSL -> JSON
// Schema) and the endpoint table, so it cannot drift from what the server validates and serves.
import { ENTITY_SCHEMAS, type EntityFields, type EntitySchema, type FieldDef, type PluginDefinition } from '@archway/schema';
import { allEndpoints, ref, type EndpointDoc, type JsonSchema } from './endpoint-table';

/**
 * A field's JSON Schema. An optional field without a default may be null (a null given for a field
 * with a default stores the default); an element of an array or map never is, and a record without an
 * explicit null default is always filled.
 */
export function fieldSchema(def: FieldDef, element = false): JsonSchema {
  const out = baseSchema(def);
  const dflt = def.default;
  if (dflt !== undefined && dflt !== null && typeof dflt !== 'function') out.default = dflt;
  const hasDefault = dflt !== undefined && dflt !== null;
  const nullable = !element && !def.required && !hasDefault && def.type !== 'any' && !(def.type === 'record' && dflt === undefined);
  if (nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

function baseSchema(def: FieldDef): JsonSchema {
  switch (def.type) {
    case 'string': {
      const s: JsonSchema = { type: 'string', minLength: def.len_min ?? 1 };
      if (def.len_max !== undefined) s.maxLength = def.len_max;
      if (def.uuid) s.format = 'uuid';
      if (def.oneOf) s.enum = [...def.oneOf];
      return s;
    }
    case 'integer':
    case 'number': {
      const s: JsonSchema = { type: def.type };
      if (def.between) [s.minimum, s.maximum] = def.between;
      if (def.gt !== undefined) s.exclusiveMinimum = def.gt;
      if (def.oneOf) s.enum = [...def.oneOf];
      return s;
    }
    case 'boolean':
      return { type: 'boolean' };
    case 'array':
    case 'set': {
      const s: JsonSchema = { type: 'array', items: fieldSchema(def.elements, true) };
      if (def.type === 'set') s.uniqueItems = true;
      if (def.len_min) s.minItems = def.len_min;
      return s;
    }
    case 'map':
      return { type: 'object', propertyNames: baseSchema(def.keys), additionalProperties: fieldSchema(def.values, true) };
    case 'record':
      return recordSchema(def.fields);
    case 'any':
      return {};
    case 'foreign':
      return {
        type: 'object',
        description: `a reference to one of ${def.reference}`,
        required: ['id'],
        additionalProperties: false,
        properties: { id: { type: 'string', format: 'uuid' } },
      };
  }
}

/** Fields a writer must give: required, with no default and not generated. */
function requiredOnWrite(fields: EntityFields): string[] {
  return Object.entries(fields)
    .filter(([, d]) => d.required && (d.default === undefined || d.default === null) && !('auto' in d && d.auto) && d.type !== 'record')
    .map(([name]) => name);
}

function recordSchema(fields: EntityFields): JsonSchema {
  const s: JsonSchema = {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(Object.entries(fields).map(([k, d]) => [k, fieldSchema(d)])),
  };
  const required = requiredOnWrite(fields);
  if (required.length) s.required = required;
  return s;
}

export function entityComponent(schema: EntitySchema): JsonSchema {
  const s = recordSchema(schema.fields);
  const key = schema.endpointKey ? ` or its ${schema.endpointKey}` : '';
  s.description = `Kong's ${schema.name} entity. Addressed in paths by id${key}.`;
  // Kong's shorthand fields are accepted on write (the service `url`)
  for (const name of Object.keys(schema.shorthands ?? {}))
    (s.properties as Record<string, JsonSchema>)[name] = { type: 'string', writeOnly: true, description: 'shorthand, expanded on write' };
  if (schema.name === 'plugins')
    (s.properties as Record<string, JsonSchema>).config = {
      type: 'object',
      description: "checked by the named plugin's schema (see the plugin-config.<name> components); defaults are filled in",
    };
  return s;
}

const MESSAGE: JsonSchema = { type: 'object', required: ['message'], properties: { message: { type: 'string' } } };

/** Kong's error body (kong/db/errors.lua), and the other fixed shapes the hand-written endpoints answer. */
const FIXED: Record<string, JsonSchema> = {
  KongError: {
    type: 'object',
    required: ['code', 'name', 'message'],
    properties: {
      code: { type: 'integer', description: '2 schema violation, 4 foreign key, 5 unique, 7 invalid offset, 9 invalid size, 11 invalid options' },
      name: { type: 'string', examples: ['schema violation'] },
      message: { type: 'string' },
      fields: { type: 'object', description: 'a message per field; `@entity` for rules across fields' },
    },
  },
  Message: MESSAGE,
  NodeInfo: {
    type: 'object',
    properties: {
      tagline: { type: 'string' },
      version: { type: 'string' },
      edition: { type: 'string' },
      hostname: { type: 'string' },
      node_id: { type: 'string', format: 'uuid' },
      configuration: { type: 'object' },
      pids: { type: 'object' },
      plugins: {
        type: 'object',
        properties: {
          available_on_server: {
            type: 'object',
            additionalProperties: { type: 'object', properties: { version: { type: 'string' }, priority: { type: 'integer' } } },
          },
          enabled_in_cluster: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
  Status: { type: 'object', properties: { database: { type: 'object', properties: { reachable: { type: 'boolean' } } } } },
  EndpointList: { type: 'object', properties: { data: { type: 'array', items: { type: 'string' } } } },
  EnabledPlugins: { type: 'object', properties: { enabled_plugins: { type: 'array', items: { type: 'string' } } } },
  TargetHealth: { type: 'object', description: 'a target with its `health` (HEALTHY, UNHEALTHY, DNS_ERROR, HEALTHCHECKS_OFF) and `data`' },
  DataPlane: { type: 'object', description: 'id, hostname, ip, zone, labels, version, sync status, config version and hash, last seen' },
  ConfigVersion: { type: 'object', description: 'a config version: who changed what, and when' },
  ConfigDiff: { type: 'object', properties: { version: { type: 'integer' }, changes: { type: 'array', items: { type: 'object' } } } },
  Rollback: { type: 'object', properties: { rolled_back_to: { type: 'integer' }, version: { type: ['integer', 'null'] } } },
  SchemaJson: {
    type: 'object',
    description: "Kong's schema shape: an ordered list of single-key field definitions",
    properties: { fields: { type: 'array', items: { type: 'object', minProperties: 1, maxProperties: 1 } } },
  },
  ValidationOk: { ...MESSAGE, examples: [{ message: 'schema validation successful' }] },
  TagRow: {
    type: 'object',
    required: ['tag', 'entity_name', 'entity_id'],
    properties: { tag: { type: 'string' }, entity_name: { type: 'string' }, entity_id: { type: 'string', format: 'uuid' } },
  },
};

const LIST_PARAMETERS: JsonSchema[] = [
  { name: 'size', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
  { name: 'offset', in: 'query', description: 'the `offset` of the previous page', schema: { type: 'string' } },
  { name: 'tags', in: 'query', description: '`a,b`: every tag; `a/b`: any tag (at most 5)', schema: { type: 'string' } },
];

function operation(e: EndpointDoc): JsonSchema {
  const params: JsonSchema[] = [...e.path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (e.list) params.push(...LIST_PARAMETERS);
  const json = (schema: JsonSchema) => ({ content: { 'application/json': { schema } } });
  const responses: Record<string, JsonSchema> = {
    [e.status]: e.response ? { description: 'OK', ...json(e.response) } : { description: 'No Content' },
  };
  if (e.entity || e.list || e.body) responses['400'] = { description: 'Invalid request (Kong error body)', ...json(ref('KongError')) };
  if (e.path.includes('{')) responses['404'] = { description: 'Not found', ...json(ref('Message')) };
  if (e.entity && e.method !== 'get' && e.method !== 'delete') responses['409'] = { description: 'Unique violation', ...json(ref('KongError')) };
  const op: JsonSchema = { summary: e.summary, tags: [e.tag], operationId: `${e.method}${e.path}`, parameters: params, responses };
  if (e.body) {
    const form = { schema: { type: 'object' }, description: 'dotted keys (`config.minute=5`) and arrays (`paths[]=/a`), coerced by the schema' };
    op.requestBody = { required: true, content: { 'application/json': { schema: e.body }, 'application/x-www-form-urlencoded': form } };
  }
  return op;
}

export function buildOpenApi(version: string, plugins: readonly PluginDefinition[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const e of allEndpoints()) (paths[e.path] ??= {})[e.method] = operation(e);
  const schemas: Record<string, JsonSchema> = { ...FIXED };
  for (const schema of ENTITY_SCHEMAS) schemas[schema.name] = entityComponent(schema);
  for (const p of plugins) schemas[`plugin-config.${p.name}`] = recordSchema(p.config.fields);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Archway Admin API',
      version,
      description: "Kong-compatible Admin API. Generated from Archway's entity and plugin schemas.",
    },
    paths,
    components: { schemas },
  };
}
