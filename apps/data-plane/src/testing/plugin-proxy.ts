// Spec helper for plugins through the real proxy: a ProxyServer on 127.0.0.1:0 over a ConfigStore, an
// echoing upstream, one service with a route on /p, and `apply` to load plugins plus consumers and
// credentials (built through the real schemas, as the control plane stores them) as a snapshot.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pluginSchema } from '@archway/plugins';
import {
  aclSchema,
  basicAuthSchema,
  consumerSchema,
  emptyConfig,
  jwtSecretSchema,
  keyAuthSchema,
  makeSnapshot,
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
import { ConfigStore } from '../config-store';
import { ProxyServer } from '../proxy-server';
import type { PluginSet } from '../runtime-config';
import { makeRoute, makeService, memoryLogger, startUpstream, type Upstream } from './fixtures';

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

export interface PluginProxy {
  port: number;
  upstream: Upstream;
  service: Service;
  route: Route;
  logger: ReturnType<typeof memoryLogger>;
  /**
   * Applies a snapshot with `plugins` (scoped to the route unless they name their own scope) and the
   * other collections in `extra` (consumers, credentials, more services and routes).
   */
  apply(plugins: Record<string, unknown>[], extra?: Partial<ConfigSet>): Promise<void>;
  close(): Promise<void>;
}

export async function startPluginProxy(opts: { plugins?: PluginSet } = {}): Promise<PluginProxy> {
  const prefix = await mkdtemp(join(tmpdir(), 'archway-plugin-proxy-'));
  const logger = memoryLogger();
  const store = new ConfigStore({ prefix, logger, plugins: opts.plugins });
  const proxy = new ProxyServer({ host: '127.0.0.1', port: 0, store, logger });
  const port = await proxy.listen();
  const upstream = await startUpstream();
  const service = makeService({ port: upstream.port });
  const route = makeRoute(service, { paths: ['/p'] });
  const lookup: PluginLookup = opts.plugins?.schemas ?? pluginSchema;
  let version = 0;
  return {
    port,
    upstream,
    service,
    route,
    logger,
    async apply(plugins, extra = {}) {
      const config = {
        ...emptyConfig(),
        ...extra,
        services: [service, ...(extra.services ?? [])],
        routes: [route, ...(extra.routes ?? [])],
        plugins: plugins.map((p) => validatePlugin({ route: { id: route.id }, ...p }, 'create', lookup)) as Plugin[],
      } as ConfigSet;
      await store.apply(makeSnapshot(++version, config));
    },
    async close() {
      await proxy.close(0);
      await store.close(0);
      await upstream.close();
      await rm(prefix, { recursive: true, force: true });
    },
  };
}
