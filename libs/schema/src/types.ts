// Wire-shaped entity types: field names are Kong's snake_case, exactly as the Admin API shows them.
// Every field is present after validation (defaults filled in, absent optionals are null), so code that
// consumes an entity never tests for a missing field.
import type { CaCertificate } from './entities/ca-certificate';
import type { Certificate } from './entities/certificate';
import type { Consumer } from './entities/consumer';
import type { Acl, BasicAuthCredential, JwtSecret, KeyAuthCredential } from './entities/credentials';
import type { Plugin } from './entities/plugin';
import type { Sni } from './entities/sni';
import type { Target } from './entities/target';
import type { Upstream } from './entities/upstream';

export type Protocol = 'http' | 'https' | 'grpc' | 'grpcs' | 'tcp' | 'tls' | 'tls_passthrough' | 'udp' | 'ws' | 'wss';

export interface ForeignKey {
  id: string;
}

export interface Service {
  id: string;
  created_at: number;
  updated_at: number;
  name: string | null;
  protocol: Protocol;
  host: string;
  port: number;
  path: string | null;
  retries: number;
  connect_timeout: number;
  write_timeout: number;
  read_timeout: number;
  tags: string[] | null;
  client_certificate: ForeignKey | null;
  tls_verify: boolean | null;
  tls_verify_depth: number | null;
  ca_certificates: string[] | null;
  enabled: boolean;
}

export interface Route {
  id: string;
  created_at: number;
  updated_at: number;
  name: string | null;
  protocols: Protocol[];
  methods: string[] | null;
  hosts: string[] | null;
  paths: string[] | null;
  /** header name (lower-case) -> accepted values; a single value starting with `~*` is a regex */
  headers: Record<string, string[]> | null;
  https_redirect_status_code: number;
  regex_priority: number;
  strip_path: boolean;
  path_handling: 'v0' | 'v1';
  preserve_host: boolean;
  request_buffering: boolean;
  response_buffering: boolean;
  snis: string[] | null;
  sources: { ip?: string; port?: number }[] | null;
  destinations: { ip?: string; port?: number }[] | null;
  tags: string[] | null;
  service: ForeignKey | null;
}

/**
 * The whole configuration a data plane needs, at one version: one list per entity collection, named as
 * the collection (Kong's table names). The snapshot, the canonical hash and the wire carry all of them.
 */
export interface ConfigSet {
  services: Service[];
  routes: Route[];
  consumers: Consumer[];
  plugins: Plugin[];
  upstreams: Upstream[];
  targets: Target[];
  certificates: Certificate[];
  snis: Sni[];
  ca_certificates: CaCertificate[];
  keyauth_credentials: KeyAuthCredential[];
  basicauth_credentials: BasicAuthCredential[];
  jwt_secrets: JwtSecret[];
  acls: Acl[];
}

/** An immutable, versioned configuration as the control plane publishes it and a data plane applies it. */
export interface Snapshot {
  /** monotonic config version from the control plane's database */
  version: number;
  /** sha256 (hex) of the canonical encoding of `config`; see canonical.ts */
  hash: string;
  config: ConfigSet;
}

export type EntityName =
  | 'services'
  | 'routes'
  | 'consumers'
  | 'plugins'
  | 'upstreams'
  | 'targets'
  | 'certificates'
  | 'snis'
  | 'ca_certificates'
  | 'keyauth_credentials'
  | 'basicauth_credentials'
  | 'jwt_secrets'
  | 'acls';
