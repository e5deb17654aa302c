// Every entity schema, parents before children (the order a whole config is written in).
import type { EntitySchema } from '../entity';
import type { EntityName } from '../types';
import { caCertificateSchema } from './ca-certificate';
import { certificateSchema } from './certificate';
import { consumerSchema } from './consumer';
import { aclSchema, basicAuthSchema, jwtSecretSchema, keyAuthSchema } from './credentials';
import { pluginSchema } from './plugin';
import { routeSchema } from './route';
import { serviceSchema } from './service';
import { sniSchema } from './sni';
import { targetSchema } from './target';
import { upstreamSchema } from './upstream';

export const ENTITY_SCHEMAS: readonly EntitySchema[] = [
  certificateSchema,
  caCertificateSchema,
  sniSchema,
  serviceSchema,
  routeSchema,
  consumerSchema,
  upstreamSchema,
  targetSchema,
  pluginSchema,
  keyAuthSchema,
  basicAuthSchema,
  jwtSecretSchema,
  aclSchema,
];

const BY_NAME = new Map<EntityName, EntitySchema>(ENTITY_SCHEMAS.map((s) => [s.name, s]));

export function entitySchema(name: EntityName): EntitySchema {
  const schema = BY_NAME.get(name);
  if (!schema) throw new Error(`unknown entity '${name}'`);
  return schema;
}

/** The collection's path on the Admin API: `key-auths` for keyauth_credentials, else the name. */
export function adminPathOf(schema: EntitySchema): string {
  return schema.adminPath ?? schema.name;
}
