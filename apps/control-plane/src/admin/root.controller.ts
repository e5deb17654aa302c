// GET / (node information), GET /status (health) and GET /clustering/data-planes.
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { EntityStore } from '../store/entity-store';
import { pageArgs } from './arguments-decoder';
import { DATA_PLANE_DIRECTORY, NODE_INFO, type DataPlaneDirectory, type NodeInfo } from './tokens';

@Controller()
export class RootController {
  constructor(
    @Inject(NODE_INFO) private readonly node: NodeInfo,
    @Inject(DATA_PLANE_DIRECTORY) private readonly directory: DataPlaneDirectory,
    private readonly store: EntityStore,
  ) {}

  @Get()
  info() {
    return {
      tagline: 'Welcome to archway',
      version: this.node.version,
      edition: 'community',
      hostname: this.node.hostname,
      node_id: this.node.nodeId,
      configuration: this.node.configuration,
      pids: { master: process.pid },
      plugins: { available_on_server: {}, enabled_in_cluster: [] },
    };
  }

  @Get('status')
  async status() {
    const reachable = await this.store.ping();
    const mem = process.memoryUsage();
    return {
      database: { reachable },
      memory: { rss: mem.rss, heap_used: mem.heapUsed },
      server: { uptime_seconds: Math.round(process.uptime()) },
    };
  }

  @Get('clustering/data-planes')
  dataPlanes(@Query() query: Record<string, unknown>) {
    const { size, offset } = pageArgs(query);
    const all = this.directory.dataPlanes();
    const start = offset && /^\d+$/.test(offset) ? Number(offset) : 0;
    const data = all.slice(start, start + size);
    const more = start + size < all.length;
    return more
      ? { data, offset: String(start + size), next: `/clustering/data-planes?offset=${start + size}&size=${size}` }
      : { data, next: null };
  }
}
