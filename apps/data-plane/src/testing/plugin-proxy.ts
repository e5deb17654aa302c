// Spec helper for plugins through the real proxy: a test proxy (test-proxy.ts), an echoing upstream (or
// the spec's own), one service with a route on /p, and `apply` to load plugins plus consumers and
// credentials (built through the real schemas, as the control plane stores them) as a snapshot.
import { pluginSchema } from '@archway/plugins';
import {
  aclSchema,
  basicAuthSchema,
  consumerSchema,
  jwtSecretSchema,
  keyAuthSchema,
  validateEntity,
  validatePlugin,
  type Acl,
  type BasicAuthCredential,
  type ConfigSet,
  type Consumer,
  type JwtSecret,
  type KeyAuthCredential,
  type EntitySchema,
  type Plugin,
  type PluginLookup,
  type Route,
  type Service,
} from '@archway/schema';
import { makeRoute, makeService, startUpstream, type Upstream } from './fixtures';
import { startProxy, type TestProxy, type TestProxyOptions } from './test-proxy';

/** An entity as the Admin API stores it: validated, then the schema's beforeStore (basic-auth hashes its password). */
export function stored<T>(schema: EntitySchema, input: Record<string, unknown>): T {
  const e = validateEntity(schema, input, 'create');
  return (schema.beforeStore ? schema.beforeStore(e, null) : e) as T;
}

export const makeConsumer = (username: string, customId: string | null = null): Consumer => stored(consumerSchema, { username, custom_id: customId });
export const keyAuth = (c: Consumer, key: string): KeyAuthCredential => stored(keyAuthSchema, { consumer: { id: c.id }, key });
export const basicAuth = (c: Consumer, username: string, password: string): BasicAuthCredential =>
  stored(basicAuthSchema, { consumer: { id: c.id }, username, password });
export const jwtSecret = (c: Consumer, fields: Record<string, unknown>): JwtSecret => stored(jwtSecretSchema, { consumer: { id: c.id }, ...fields });
export const acl = (c: Consumer, group: string): Acl => stored(aclSchema, { consumer: { id: c.id }, group });

/** What the service points at: the echoing `startUpstream` unless a spec brings its own. */
export interface UpstreamLike {
  port: number;
  close(): Promise<void>;
}

export interface PluginProxyOptions<U extends UpstreamLike> extends TestProxyOptions {
  /** starts the service's upstream; the echoing `startUpstream` by default */
  upstream?: () => Promise<U>;
  /** more fields of the service (its port is the upstream's) */
  service?: Record<string, unknown>;
  /** more fields of the route (paths ['/p'] by default) */
  route?: Record<string, unknown>;
}

export interface PluginProxy<U extends UpstreamLike = Upstream> extends Omit<TestProxy, 'apply'> {
  upstream: U;
  service: Service;
  route: Route;
  /**
   * Applies a snapshot with `plugins` (scoped to the route unless they name their own scope) and the
   * other collections in `extra` (consumers, credentials, more services and routes).
   */
  apply(plugins: Record<string, unknown>[], extra?: Partial<ConfigSet>): Promise<void>;
  /** Applies `config` as it is (no validation, no default service or route) as the next snapshot. */
  applyConfig(config: Partial<ConfigSet>): Promise<void>;
}

export async function startPluginProxy<U extends UpstreamLike = Upstream>(opts: PluginProxyOptions<U> = {}): Promise<PluginProxy<U>> {
  const px = await startProxy(opts);
  const upstream = await (opts.upstream ?? (startUpstream as unknown as () => Promise<U>))();
  const service = makeService({ ...opts.service, port: upstream.port });
  const route = makeRoute(service, { paths: ['/p'], ...opts.route });
  const lookup: PluginLookup = opts.plugins?.schemas ?? pluginSchema;
  return {
    ...px,
    upstream,
    service,
    route,
    applyConfig: px.apply,
    apply: (plugins, extra = {}) =>
      px.apply({
        ...extra,
        services: [service, ...(extra.services ?? [])],
        routes: [route, ...(extra.routes ?? [])],
        plugins: plugins.map((p) => validatePlugin({ route: { id: route.id }, ...p }, 'create', lookup)) as Plugin[],
      }),
    async close() {
      await px.close();
      await upstream.close();
    },
  };
}
