// GET /upstreams/{u}/health (kong/api/routes/upstreams.lua): the upstream's targets, a page at a
// time, each with its `health` and `data`; `?balancer_health=1` answers the upstream's overall health.
import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import type { Entity } from '../store/entity-store';
import { EntitiesService, type Parent } from './entities.service';
import { listBody, listQuery } from './list-query';
import { balancerHealth, TARGET_HEALTH_SOURCE, targetWithHealth, type TargetHealthSource } from './target-health';
import { NODE_INFO, type NodeInfo } from './tokens';

@Controller('upstreams/:upstream/health')
export class UpstreamHealthController {
  constructor(
    @Inject(EntitiesService) private readonly entities: EntitiesService,
    @Inject(NODE_INFO) private readonly node: NodeInfo,
    @Inject(TARGET_HEALTH_SOURCE) private readonly source: TargetHealthSource,
  ) {}

  @Get()
  async health(@Param('upstream') key: string, @Query() query: Record<string, unknown>) {
    const upstream = await this.entities.get('upstreams', key);
    const parent: Parent = { kind: 'upstreams', idOrKey: upstream.id, field: 'upstream' };
    if (String(query.balancer_health) === '1') {
      const targets = await this.allTargets(parent);
      return { data: balancerHealth(this.source, upstream, targets), next: null, node_id: this.node.nodeId };
    }
    const q = listQuery(query);
    const page = await this.entities.list('targets', q, parent);
    const withHealth = { ...page, data: page.data.map((t) => targetWithHealth(this.source, upstream, t)) };
    return { ...listBody(`/upstreams/${encodeURIComponent(key)}/health`, withHealth, q), node_id: this.node.nodeId };
  }

  private async allTargets(parent: Parent): Promise<Entity[]> {
    const out: Entity[] = [];
    let offset: string | undefined;
    do {
      const page = await this.entities.list('targets', { size: 1000, offset }, parent);
      out.push(...page.data);
      offset = page.offset ?? undefined;
    } while (offset);
    return out;
  }
}
