// Snapshot <-> protobuf message. The wire form encodes null explicitly (absent optional / absent wrapper
// message), so that a data plane rebuilds exactly the objects the control plane hashed:
// configHash(snapshotFromProto(snapshotToProto(s)).config) === s.hash.
import type { ConfigSet, Protocol, Route, Service, Snapshot } from '@archway/schema';
import { caCertificateFromProto, caCertificateToProto, certificateFromProto, certificateToProto, sniFromProto, sniToProto } from './convert-certificates';
import {
  aclFromProto, aclToProto, basicAuthFromProto, basicAuthToProto, consumerFromProto, consumerToProto, jwtSecretFromProto,
  jwtSecretToProto, keyAuthFromProto, keyAuthToProto, pluginFromProto, pluginToProto,
} from './convert-consumers';
import { targetFromProto, targetToProto, upstreamFromProto, upstreamToProto } from './convert-upstreams';
import { fk, headerMap, int, list, nul, opt, unfk, unheaders, unlist } from './convert-values';
import type { CidrPortList, CidrPortList__Output } from './generated/archway/sync/v1/CidrPortList';
import type { Route as RouteMsg, Route__Output } from './generated/archway/sync/v1/Route';
import type { Service as ServiceMsg, Service__Output } from './generated/archway/sync/v1/Service';
import type { Snapshot as SnapshotMsg, Snapshot__Output } from './generated/archway/sync/v1/Snapshot';

type CidrPortValue = { ip?: string | null; port?: number | null };

// ---- to the wire ----

function cidrPorts(v: readonly CidrPortValue[] | null): CidrPortList | undefined {
  if (v === null) return undefined;
  return { values: v.map((e) => ({ ip: opt(e.ip), port: opt(e.port) })) };
}

export function serviceToProto(s: Service): ServiceMsg {
  return {
    id: s.id,
    created_at: s.created_at,
    updated_at: s.updated_at,
    name: opt(s.name),
    protocol: s.protocol,
    host: s.host,
    port: s.port,
    path: opt(s.path),
    retries: s.retries,
    connect_timeout: s.connect_timeout,
    write_timeout: s.write_timeout,
    read_timeout: s.read_timeout,
    tags: list(s.tags),
    client_certificate: fk(s.client_certificate),
    tls_verify: opt(s.tls_verify),
    tls_verify_depth: opt(s.tls_verify_depth),
    ca_certificates: list(s.ca_certificates),
    enabled: s.enabled,
  };
}

export function routeToProto(r: Route): RouteMsg {
  return {
    id: r.id,
    created_at: r.created_at,
    updated_at: r.updated_at,
    name: opt(r.name),
    protocols: [...r.protocols],
    methods: list(r.methods),
    hosts: list(r.hosts),
    paths: list(r.paths),
    headers: headerMap(r.headers),
    https_redirect_status_code: r.https_redirect_status_code,
    regex_priority: r.regex_priority,
    strip_path: r.strip_path,
    path_handling: r.path_handling,
    preserve_host: r.preserve_host,
    request_buffering: r.request_buffering,
    response_buffering: r.response_buffering,
    snis: list(r.snis),
    sources: cidrPorts(r.sources),
    destinations: cidrPorts(r.destinations),
    tags: list(r.tags),
    service: fk(r.service),
  };
}

/** Each collection's entity -> its message (as the generated types take it). */
export const ENTITY_TO_PROTO: { readonly [K in keyof ConfigSet]: (e: ConfigSet[K][number]) => NonNullable<SnapshotMsg[K]>[number] } = {
  services: serviceToProto,
  routes: routeToProto,
  consumers: consumerToProto,
  keyauth_credentials: keyAuthToProto,
  plugins: pluginToProto,
  upstreams: upstreamToProto,
  targets: targetToProto,
  certificates: certificateToProto,
  ca_certificates: caCertificateToProto,
  snis: sniToProto,
  basicauth_credentials: basicAuthToProto,
  jwt_secrets: jwtSecretToProto,
  acls: aclToProto,
};

export function snapshotToProto(snapshot: Snapshot): SnapshotMsg {
  const c = snapshot.config;
  const msg: SnapshotMsg = { version: snapshot.version, hash: snapshot.hash };
  for (const key of Object.keys(ENTITY_TO_PROTO) as (keyof ConfigSet)[])
    (msg as Record<string, unknown>)[key] = (c[key] as unknown[]).map(ENTITY_TO_PROTO[key] as (e: unknown) => unknown);
  return msg;
}

// ---- from the wire ----

// The canonical form of a sources/destinations element has both keys, null when unset (that is what
// validation produces), so an absent field comes back as null rather than as a missing key.
function uncidrPorts(v: CidrPortList__Output | null): { ip?: string; port?: number }[] | null {
  if (v === null) return null;
  return v.values.map((e) => ({ ip: nul(e.ip), port: nul(e.port) }) as { ip?: string; port?: number });
}

export function serviceFromProto(m: Service__Output): Service {
  return {
    id: m.id,
    created_at: int(m.created_at, 'services.created_at'),
    updated_at: int(m.updated_at, 'services.updated_at'),
    name: nul(m.name),
    protocol: m.protocol as Protocol,
    host: m.host,
    port: m.port,
    path: nul(m.path),
    retries: m.retries,
    connect_timeout: m.connect_timeout,
    write_timeout: m.write_timeout,
    read_timeout: m.read_timeout,
    tags: unlist(m.tags),
    client_certificate: unfk(m.client_certificate),
    tls_verify: nul(m.tls_verify),
    tls_verify_depth: nul(m.tls_verify_depth),
    ca_certificates: unlist(m.ca_certificates),
    enabled: m.enabled,
  };
}

export function routeFromProto(m: Route__Output): Route {
  return {
    id: m.id,
    created_at: int(m.created_at, 'routes.created_at'),
    updated_at: int(m.updated_at, 'routes.updated_at'),
    name: nul(m.name),
    protocols: [...m.protocols] as Protocol[],
    methods: unlist(m.methods),
    hosts: unlist(m.hosts),
    paths: unlist(m.paths),
    headers: unheaders(m.headers),
    https_redirect_status_code: m.https_redirect_status_code,
    regex_priority: m.regex_priority,
    strip_path: m.strip_path,
    path_handling: m.path_handling as Route['path_handling'],
    preserve_host: m.preserve_host,
    request_buffering: m.request_buffering,
    response_buffering: m.response_buffering,
    snis: unlist(m.snis),
    sources: uncidrPorts(m.sources),
    destinations: uncidrPorts(m.destinations),
    tags: unlist(m.tags),
    service: unfk(m.service),
  };
}

/** Per collection, how one decoded entity message becomes the JSON model's entity. */
export const ENTITY_FROM_PROTO: { readonly [K in keyof ConfigSet]: (m: never) => ConfigSet[K][number] } = {
  services: serviceFromProto,
  routes: routeFromProto,
  consumers: consumerFromProto,
  plugins: pluginFromProto,
  upstreams: upstreamFromProto,
  targets: targetFromProto,
  certificates: certificateFromProto,
  snis: sniFromProto,
  ca_certificates: caCertificateFromProto,
  keyauth_credentials: keyAuthFromProto,
  basicauth_credentials: basicAuthFromProto,
  jwt_secrets: jwtSecretFromProto,
  acls: aclFromProto,
};

/**
 * Rebuilds a snapshot from its decoded message. It does not check the hash: the data plane recomputes
 * it from `config` (see `configHash`) and rejects a mismatch.
 */
export function snapshotFromProto(m: Snapshot__Output): Snapshot {
  const config = {} as Record<keyof ConfigSet, unknown[]>;
  for (const key of Object.keys(ENTITY_FROM_PROTO) as (keyof ConfigSet)[])
    config[key] = (m[key] as never[]).map(ENTITY_FROM_PROTO[key] as (x: never) => unknown);
  return Object.freeze({ version: int(m.version, 'snapshot.version'), hash: m.hash, config: config as unknown as ConfigSet });
}
