// The Admin API as a Nest module. Everything it needs is built outside (database, scheduler,
// clustering) and handed in as values, so the module owns HTTP concerns only.
import { type DynamicModule, Module } from '@nestjs/common';
import { ControlPlaneMetrics } from '../control-plane-metrics';
import { SnapshotScheduler } from '../snapshots/snapshot-scheduler';
import { EntityStore } from '../store/entity-store';
import { ConfigHistory } from '../store/history';
import { HistoryController } from './history.controller';
import { DeclarativeController } from './declarative.controller';
import { DeclarativeService } from './declarative.service';
import { ENTITY_SCHEMAS, type PluginLookup } from '@archway/schema';
import { EntitiesService } from './entities.service';
import { entityControllers } from './entity-controllers';
import { RootController } from './root.controller';
import { NO_REPORTED_HEALTH, TARGET_HEALTH_SOURCE, type TargetHealthSource } from './target-health';
import { UpstreamHealthController } from './upstream-health.controller';
import { DiscoveryController } from './discovery.controller';
import { SchemasController } from './schemas.controller';
import { TagsController } from './tags.controller';
import { MetricsController } from './metrics.controller';
import { DATA_PLANE_DIRECTORY, NODE_INFO, PLUGIN_LOOKUP, type DataPlaneDirectory, type NodeInfo } from './tokens';

export interface AdminDeps {
  store: EntityStore;
  snapshots: SnapshotScheduler;
  node: NodeInfo;
  directory: DataPlaneDirectory;
  plugins: PluginLookup;
  history: ConfigHistory;
  /** target health reported by data planes (GET /upstreams/{u}/health); none reported when absent */
  targetHealth?: TargetHealthSource;
  /** GET /metrics (a registry of its own when absent: no snapshot build times) */
  metrics?: ControlPlaneMetrics;
}

@Module({})
export class AdminModule {
  static forRoot(deps: AdminDeps): DynamicModule {
    return {
      module: AdminModule,
      // fixed paths before the generated ones: Express matches in registration order (/plugins/enabled before /plugins/:key)
      controllers: [
        RootController,
        HistoryController,
        DeclarativeController,
        UpstreamHealthController,
        DiscoveryController,
        SchemasController,
        TagsController,
        MetricsController,
        ...entityControllers(ENTITY_SCHEMAS),
      ],
      providers: [
        EntitiesService,
        DeclarativeService,
        { provide: EntityStore, useValue: deps.store },
        { provide: SnapshotScheduler, useValue: deps.snapshots },
        { provide: NODE_INFO, useValue: deps.node },
        { provide: DATA_PLANE_DIRECTORY, useValue: deps.directory },
        { provide: PLUGIN_LOOKUP, useValue: deps.plugins },
        { provide: ConfigHistory, useValue: deps.history },
        { provide: TARGET_HEALTH_SOURCE, useValue: deps.targetHealth ?? NO_REPORTED_HEALTH },
        { provide: ControlPlaneMetrics, useValue: deps.metrics ?? new ControlPlaneMetrics() },
      ],
    };
  }
}
