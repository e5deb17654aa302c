// GET / (node information), GET /status (health) and GET /clustering/data-planes.
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { BUNDLED_PLUGINS } from '@archway/plugins';
import { SnapshotScheduler } from '../snapshots/snapshot-scheduler';
import { EntityStore } from '../store/entity-store';
import { pageArgs } from './arguments-decoder';
import { DATA_PLANE_DIRECTORY, NODE_INFO, type DataPlaneDirectory, type NodeInfo } from './tokens';

@Controller()
export class RootController {
  constructor(
    @Inject(NODE_INFO) private readonly node: NodeInfo,
    @Inject(DATA_PLANE_DIRECTORY) private readonly directory: DataPlaneDirectory,
    private readonly store: EntityStore,
    private readonly snapshots: SnapshotScheduler,
  ) {}

  @Get()
  async info() {
    // Kong 3.x: name -> {version, priority} of every plugin this node can run, and the names in use
    const available = Object.fromEntries([...BUNDLED_PLUGINS.values()].map((p) => [p.name, { version: p.version, priority: p.priority }]));
    const enabledInCluster = await this.store.pluginNames();
    return {
      tagline: 'Welcome to archway',
      version: this.node.version,
      edition: 'community',
      hostname: this.node.hostname,
      node_id: this.node.nodeId,
      configuration: this.node.configuration,
      pids: { master: process.pid },
      plugins: { available_on_server: available, enabled_in_cluster: enabledInCluster },
    };
  }

  @Get('status')
  async status() {
    const reachable = await this.store.ping();
    const mem = process.memoryUsage();
    const latest = this.snapshots.latest;
    return {
      database: { reachable },
      // the newest snapshot published to data planes
      configuration_version: latest?.version ?? null,
      configuration_hash: latest?.hash ?? null,
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
