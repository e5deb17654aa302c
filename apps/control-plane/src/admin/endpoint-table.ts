// Every Admin API endpoint, once, for GET /openapi.json and GET /endpoints. Entity endpoints are
// derived from the same schemas and tables the controllers are generated from (entity-controllers.ts);
// the hand-written ones are listed below. openapi.spec.ts fails when the server serves a path that is
// not here, or this lists one it does not serve: add a line here with every new endpoint.
import { adminPathOf, ENTITY_SCHEMAS, entitySchema, type EntityName, type EntitySchema } from '@archway/schema';
import { foreignFields, NESTED, nestedSegment } from './entity-controllers';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type JsonSchema = Record<string, unknown>;

export interface EndpointDoc {
  method: Method;
  /** Kong's notation: /services/{services}/routes/{routes} */
  path: string;
  summary: string;
  /** OpenAPI tag: the entity, or the area (Information, Schemas, …) */
  tag: string;
  /** success status and body (null: no body, as for 204) */
  status: number;
  response: JsonSchema | null;
  body?: JsonSchema;
  /** takes size, offset and tags query arguments */
  list?: boolean;
  /** reads or writes entities, so may answer Kong's entity errors */
  entity?: boolean;
}

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
/** Kong's list body: {"data":[…],"offset":"…","next":"/services?offset=…"} */
export const listOf = (items: JsonSchema): JsonSchema => ({
  type: 'object',
  required: ['data', 'next'],
  properties: { data: { type: 'array', items }, offset: { type: 'string' }, next: { type: ['string', 'null'] } },
});

/** The five endpoints Kong generates for a collection, under `base` (e.g. `/services/{services}/routes`). */
function collectionEndpoints(base: string, schema: EntitySchema, under?: string): EndpointDoc[] {
  const name = schema.name;
  const item = `${base}/{${name}}`;
  const where = under ? ` of one ${under}` : '';
  const e = { tag: name, entity: true } as const;
  return [
    { ...e, method: 'get', path: base, summary: `List ${name}${where}`, status: 200, response: listOf(ref(name)), list: true },
    { ...e, method: 'post', path: base, summary: `Create one of ${name}${where}`, status: 201, response: ref(name), body: ref(name) },
    { ...e, method: 'get', path: item, summary: `Get one of ${name} by id or ${schema.endpointKey ?? 'id'}`, status: 200, response: ref(name) },
    { ...e, method: 'patch', path: item, summary: `Update fields of one of ${name}`, status: 200, response: ref(name), body: ref(name) },
    { ...e, method: 'put', path: item, summary: `Create or replace one of ${name} (upsert by id or key)`, status: 200, response: ref(name), body: ref(name) },
    { ...e, method: 'delete', path: item, summary: `Delete one of ${name} (204 also when absent)`, status: 204, response: null },
  ];
}

/** Collections, Kong's nested endpoints and the foreign-key endpoints, as entityControllers() serves them. */
export function entityEndpoints(schemas: readonly EntitySchema[] = ENTITY_SCHEMAS): EndpointDoc[] {
  const out: EndpointDoc[] = [];
  for (const schema of schemas) out.push(...collectionEndpoints(`/${adminPathOf(schema)}`, schema));
  for (const [parentKind, childKind] of NESTED) {
    const parent = entitySchema(parentKind);
    const base = `/${adminPathOf(parent)}/{${parentKind}}/${nestedSegment(entitySchema(childKind))}`;
    out.push(...collectionEndpoints(base, entitySchema(childKind), parentKind.replace(/s$/, '')));
  }
  for (const schema of schemas)
    for (const field of foreignFields(schema)) {
      const def = schema.fields[field] as { reference: EntityName };
      out.push({
        method: 'get',
        path: `/${adminPathOf(schema)}/{${schema.name}}/${field}`,
        summary: `Get the ${field} one of ${schema.name} points at`,
        tag: schema.name,
        status: 200,
        response: ref(def.reference),
        entity: true,
      });
    }
  return out;
}

const info = (method: Method, path: string, summary: string, response: JsonSchema, extra: Partial<EndpointDoc> = {}): EndpointDoc => ({
  method,
  path,
  summary,
  tag: 'Information',
  status: 200,
  response,
  ...extra,
});

/** The endpoints written by hand (root, history, schemas, tags, discovery, clustering). */
export const HAND_WRITTEN: readonly EndpointDoc[] = [
  info('get', '/', 'Node information: version, node id, configuration, plugins', ref('NodeInfo')),
  info('get', '/status', 'Health: database reachability and the configuration version published', ref('Status')),
  info('get', '/metrics', 'Prometheus metrics (text format 0.0.4): config version, data planes by zone, snapshot build time', { type: 'string' }),
  info('get', '/endpoints', 'Every Admin API path', ref('EndpointList')),
  info('get', '/openapi.json', 'This document', { type: 'object' }),
  info('get', '/plugins/enabled', 'The plugins this node can run', ref('EnabledPlugins'), { tag: 'plugins' }),
  info('get', '/upstreams/{upstreams}/health', "The upstream's targets with their health (?balancer_health=1: the upstream's)", listOf(ref('TargetHealth')), { tag: 'upstreams', list: true, entity: true }),
  info('get', '/clustering/data-planes', 'Connected data planes and what they serve', listOf(ref('DataPlane')), { tag: 'Clustering', list: true }),
  info('get', '/config', "The whole config in Kong's declarative format 3.0 (nested; ?flat=true: flat)", { type: 'object' }, { tag: 'Declarative config' }),
  info('post', '/config', 'Replace the whole config with a declarative file, all or nothing (?check_hash=1: 304 when unchanged)', { type: 'object' }, { tag: 'Declarative config', status: 201, body: { type: 'object' }, entity: true }),
  info('get', '/config/versions', 'Config versions, newest first (Archway)', listOf(ref('ConfigVersion')), { tag: 'History', list: true }),
  info('get', '/config/versions/{v}/diff', 'What changed in one config version (Archway)', ref('ConfigDiff'), { tag: 'History' }),
  info('post', '/config/rollback/{v}', 'Restore a config version as a new version (Archway)', ref('Rollback'), { tag: 'History', status: 201 }),
  info('get', '/schemas/{name}', "An entity's schema by its Kong name (services, keyauth_credentials, …)", ref('SchemaJson'), { tag: 'Schemas' }),
  info('get', '/schemas/plugins/{name}', "A plugin's schema: scopes, protocols and config", ref('SchemaJson'), { tag: 'Schemas' }),
  info('post', '/schemas/{db_entity_name}/validate', 'Validate an entity without writing it', ref('ValidationOk'), { tag: 'Schemas', body: { type: 'object' }, entity: true }),
  info('post', '/schemas/plugins/validate', 'Validate a plugin and its config without writing it', ref('ValidationOk'), { tag: 'Schemas', body: ref('plugins'), entity: true }),
  info('get', '/tags', 'Every tagged entity, by tag', listOf(ref('TagRow')), { tag: 'Tags', list: true }),
  info('get', '/tags/{tags}', 'The entities carrying one tag', listOf(ref('TagRow')), { tag: 'Tags', list: true }),
];

/** Every endpoint the Admin API serves. */
export function allEndpoints(): EndpointDoc[] {
  return [...HAND_WRITTEN, ...entityEndpoints()];
}

/** Kong's /endpoints order: by segment, so /a/z sorts before /ab. */
export function kongPathOrder(a: string, b: string): number {
  const ka = a.replace(/\//g, '\x00');
  const kb = b.replace(/\//g, '\x00');
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
