// Consumers, their credentials (key-auth, basic-auth, jwt, acls) and plugins <-> protobuf messages.
import type { Acl, BasicAuthCredential, Consumer, JwtSecret, KeyAuthCredential, Plugin } from '@archway/schema';
import type { Acl as AclMsg, Acl__Output } from './generated/archway/sync/v1/Acl';
import type { BasicAuthCredential as BasicAuthMsg, BasicAuthCredential__Output } from './generated/archway/sync/v1/BasicAuthCredential';
import type { Consumer as ConsumerMsg, Consumer__Output } from './generated/archway/sync/v1/Consumer';
import type { JwtSecret as JwtSecretMsg, JwtSecret__Output } from './generated/archway/sync/v1/JwtSecret';
import type { KeyAuthCredential as KeyAuthMsg, KeyAuthCredential__Output } from './generated/archway/sync/v1/KeyAuthCredential';
import type { Plugin as PluginMsg, Plugin__Output } from './generated/archway/sync/v1/Plugin';
import { fk, list, nul, opt, stamps, unfk, unfkRequired, unlist } from './convert-values';
import { fromStruct, toStruct } from './struct';

export function consumerToProto(c: Consumer): ConsumerMsg {
  return { ...c, username: opt(c.username), custom_id: opt(c.custom_id), tags: list(c.tags) };
}

export function consumerFromProto(m: Consumer__Output): Consumer {
  return { ...stamps(m, 'consumers'), username: nul(m.username), custom_id: nul(m.custom_id), tags: unlist(m.tags) };
}

export function pluginToProto(p: Plugin): PluginMsg {
  return {
    id: p.id,
    created_at: p.created_at,
    updated_at: p.updated_at,
    name: p.name,
    instance_name: opt(p.instance_name),
    route: fk(p.route),
    service: fk(p.service),
    consumer: fk(p.consumer),
    config: toStruct(p.config, `plugins ${p.id} config`),
    protocols: [...p.protocols],
    enabled: p.enabled,
    tags: list(p.tags),
  };
}

export function pluginFromProto(m: Plugin__Output): Plugin {
  return {
    ...stamps(m, 'plugins'),
    name: m.name,
    instance_name: nul(m.instance_name),
    route: unfk(m.route),
    service: unfk(m.service),
    consumer: unfk(m.consumer),
    // a validated plugin always has a config object; an empty Struct is {}
    config: m.config === null ? {} : fromStruct(m.config, `plugins ${m.id} config`),
    protocols: [...m.protocols],
    enabled: m.enabled,
    tags: unlist(m.tags),
  };
}

export function keyAuthToProto(c: KeyAuthCredential): KeyAuthMsg {
  return { ...c, consumer: fk(c.consumer), ttl: opt(c.ttl), tags: list(c.tags) };
}

export function keyAuthFromProto(m: KeyAuthCredential__Output): KeyAuthCredential {
  const consumer = unfkRequired(m.consumer);
  return { ...stamps(m, 'keyauth_credentials'), consumer, key: m.key, ttl: nul(m.ttl), tags: unlist(m.tags) };
}

export function basicAuthToProto(c: BasicAuthCredential): BasicAuthMsg {
  return { ...c, consumer: fk(c.consumer), tags: list(c.tags) };
}

export function basicAuthFromProto(m: BasicAuthCredential__Output): BasicAuthCredential {
  const consumer = unfkRequired(m.consumer);
  return { ...stamps(m, 'basicauth_credentials'), consumer, username: m.username, password: m.password, tags: unlist(m.tags) };
}

export function jwtSecretToProto(s: JwtSecret): JwtSecretMsg {
  return { ...s, consumer: fk(s.consumer), rsa_public_key: opt(s.rsa_public_key), tags: list(s.tags) };
}

export function jwtSecretFromProto(m: JwtSecret__Output): JwtSecret {
  return {
    ...stamps(m, 'jwt_secrets'),
    consumer: unfkRequired(m.consumer),
    key: m.key,
    secret: m.secret,
    algorithm: m.algorithm as JwtSecret['algorithm'],
    rsa_public_key: nul(m.rsa_public_key),
    tags: unlist(m.tags),
  };
}

export function aclToProto(a: Acl): AclMsg {
  return { ...a, consumer: fk(a.consumer), tags: list(a.tags) };
}

export function aclFromProto(m: Acl__Output): Acl {
  return { ...stamps(m, 'acls'), consumer: unfkRequired(m.consumer), group: m.group, tags: unlist(m.tags) };
}
