// GET /metrics: the control plane's Prometheus metrics (text format 0.0.4), behind the Admin API's auth.
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { PROMETHEUS_CONTENT_TYPE } from '@archway/telemetry';
import { ControlPlaneMetrics, type DataPlaneSummary } from '../control-plane-metrics';
import { SnapshotScheduler } from '../snapshots/snapshot-scheduler';
import type { ExpressResponse } from './express-types';
import { DATA_PLANE_DIRECTORY, type DataPlaneDirectory } from './tokens';

@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(ControlPlaneMetrics) private readonly metrics: ControlPlaneMetrics,
    @Inject(DATA_PLANE_DIRECTORY) private readonly directory: DataPlaneDirectory,
    @Inject(SnapshotScheduler) private readonly snapshots: SnapshotScheduler,
  ) {}

  @Get()
  scrape(@Res() res: ExpressResponse): void {
    const text = this.metrics.render(this.snapshots.latest, this.directory.dataPlanes() as DataPlaneSummary[]);
    res.setHeader('Content-Type', PROMETHEUS_CONTENT_TYPE);
    res.status(200).end(text);
  }
}
