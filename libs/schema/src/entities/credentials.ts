// Consumer credentials, Kong's plugin DAOs (kong/plugins/{key-auth,basic-auth,jwt,acl}/daos.lua).
// They cascade with their consumer and are addressed under it (/consumers/{c}/key-auth).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EntitySchema } from '../entity';
import type { FieldDef } from '../fields';
import { id, tags, timestamp } from './typedefs';

const consumer: FieldDef = { type: 'foreign', reference: 'consumers', required: true, onDelete: 'cascade' };

/** Kong's generated keys: 32 random hex characters. */
const randomKey = () => randomUUID().replace(/-/g, '');

export interface KeyAuthCredential {
  id: string;
  created_at: number;
  updated_at: number;
  consumer: { id: string };
  key: string;
  ttl: number | null;
  tags: string[] | null;
}

export const keyAuthSchema: EntitySchema = {
  name: 'keyauth_credentials',
  adminPath: 'key-auths',
  nestedPath: 'key-auth',
  endpointKey: 'key',
  fields: {
    id,
    created_at: timestamp,
    updated_at: timestamp,
    consumer,
    key: { type: 'string', unique: true, required: true, default: randomKey },
    ttl: { type: 'integer', between: [0, 100000000] },
    tags,
  },
};

export interface BasicAuthCredential {
  id: string;
  created_at: number;
  updated_at: number;
  consumer: { id: string };
  username: string;
  /** sha1(password .. consumer id), hex, as Kong stores it */
  password: string;
  tags: string[] | null;
}

/** Kong's basic-auth hash (kong/plugins/basic-auth/crypto.lua): sha1 of the password salted with the consumer id. */
export function basicAuthHash(password: string, consumerId: string): string {
  return createHash('sha1').update(password + consumerId).digest('hex');
}

export const basicAuthSchema: EntitySchema = {
  name: 'basicauth_credentials',
  adminPath: 'basic-auths',
  nestedPath: 'basic-auth',
  endpointKey: 'username',
  fields: {
    id,
    created_at: timestamp,
    updated_at: timestamp,
    consumer,
    username: { type: 'string', unique: true, required: true },
    password: { type: 'string', required: true },
    tags,
  },
  beforeStore(entity, existing) {
    // a password that was not changed on PATCH is already the stored hash
    if (existing && existing.password === entity.password && existing.consumer === entity.consumer) return entity;
    const consumerId = (entity.consumer as { id: string }).id;
    return { ...entity, password: basicAuthHash(entity.password as string, consumerId) };
  },
};

export const JWT_ALGORITHMS = [
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA',
] as const;

export interface JwtSecret {
  id: string;
  created_at: number;
  updated_at: number;
  consumer: { id: string };
  key: string;
  secret: string;
  algorithm: (typeof JWT_ALGORITHMS)[number];
  rsa_public_key: string | null;
  tags: string[] | null;
}

export const jwtSecretSchema: EntitySchema = {
  name: 'jwt_secrets',
  adminPath: 'jwts',
  nestedPath: 'jwt',
  endpointKey: 'key',
  fields: {
    id,
    created_at: timestamp,
    updated_at: timestamp,
    consumer,
    key: { type: 'string', unique: true, required: true, default: randomKey },
    secret: { type: 'string', required: true, default: () => randomBytes(16).toString('hex') },
    algorithm: { type: 'string', required: true, default: 'HS256', oneOf: JWT_ALGORITHMS },
    rsa_public_key: { type: 'string' },
    tags,
  },
  check(secret) {
    const alg = secret.algorithm as string;
    if (!alg.startsWith('HS') && secret.rsa_public_key === null)
      return { rsa_public_key: `required field missing when 'algorithm' is '${alg}'` };
    return null;
  },
};

export interface Acl {
  id: string;
  created_at: number;
  updated_at: number;
  consumer: { id: string };
  group: string;
  tags: string[] | null;
}

export const aclSchema: EntitySchema = {
  name: 'acls',
  adminPath: 'acls',
  nestedPath: 'acls',
  endpointKey: null,
  uniques: [['consumer', 'group']],
  fields: {
    id,
    created_at: timestamp,
    updated_at: timestamp,
    consumer,
    group: { type: 'string', required: true },
    tags,
  },
};
