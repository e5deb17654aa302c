// GET /plugins/enabled, GET /endpoints (read from the live router, as Kong lists its Lapis routes) and
// GET /openapi.json.
import { Controller, Get, Inject } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { BUNDLED_PLUGINS } from '@archway/plugins';
import { adminPathOf, ENTITY_SCHEMAS, type EntityName } from '@archway/schema';
import { kongPathOrder, type JsonSchema } from './endpoint-table';
import { buildOpenApi } from './openapi';
import { NODE_INFO, type NodeInfo } from './tokens';

export interface ServedRoute {
  method: string;
  /** as registered: /services/:parent/routes/:key */
  path: string;
}

interface RouterLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** Every route an Express app serves (Express 5 keeps its router at `app.router`, Express 4 at `app._router`). */
export function servedRoutes(expressApp: unknown): ServedRoute[] {
  const app = expressApp as { router?: { stack: RouterLayer[] }; _router?: { stack: RouterLayer[] } };
  const stack = (app.router ?? app._router)?.stack ?? [];
  const out: ServedRoute[] = [];
  for (const layer of stack) {
    if (!layer.route) continue;
    const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
    for (const path of paths)
      for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.push({ method, path });
  }
  return out;
}

/** Path segment (collection or nested name) -> the entity it holds: `key-auth` -> keyauth_credentials. */
const SEGMENT_ENTITY = new Map<string, EntityName>();
for (const s of ENTITY_SCHEMAS) {
  SEGMENT_ENTITY.set(adminPathOf(s), s.name);
  if (s.nestedPath) SEGMENT_ENTITY.set(s.nestedPath, s.name);
}

/**
 * Kong's notation for a route: a parameter after a collection is named for its entity
 * (/services/{services}/routes/{routes}); others keep their name (/schemas/plugins/{name}). A collection
 * starts the path or follows a parameter.
 */
export function kongPath(path: string): string {
  const segments = path.split('/');
  const isCollection = (i: number) => SEGMENT_ENTITY.has(segments[i]) && (i === 1 || segments[i - 1]?.startsWith(':'));
  return segments
    .map((seg, i) => {
      if (!seg.startsWith(':')) return seg;
      return `{${isCollection(i - 1) ? SEGMENT_ENTITY.get(segments[i - 1]) : seg.slice(1)}}`;
    })
    .join('/');
}

@Controller()
export class DiscoveryController {
  #openapi: JsonSchema | null = null;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(NODE_INFO) private readonly node: NodeInfo,
  ) {}

  @Get('plugins/enabled')
  enabled() {
    return { enabled_plugins: [...BUNDLED_PLUGINS.keys()].sort() };
  }

  @Get('endpoints')
  endpoints() {
    const routes = servedRoutes(this.adapterHost.httpAdapter.getInstance());
    return { data: [...new Set(routes.map((r) => kongPath(r.path)))].sort(kongPathOrder) };
  }

  @Get('openapi.json')
  openapi() {
    this.#openapi ??= buildOpenApi(this.node.version, [...BUNDLED_PLUGINS.values()]);
    return this.#openapi;
  }
}
