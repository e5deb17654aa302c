// The Admin API as a Nest module. Everything it needs is built outside (database, scheduler,
// clustering) and handed in as values, so the module owns HTTP concerns only.
import { type DynamicModule, Module } from '@nestjs/common';
import { SnapshotScheduler } from '../snapshots/snapshot-scheduler';
import { EntityStore } from '../store/entity-store';
import { EntitiesService } from './entities.service';
import { RootController } from './root.controller';
import { RoutesController } from './routes.controller';
import { ServicesController } from './services.controller';
import { DATA_PLANE_DIRECTORY, NODE_INFO, type DataPlaneDirectory, type NodeInfo } from './tokens';

export interface AdminDeps {
  store: EntityStore;
  snapshots: SnapshotScheduler;
  node: NodeInfo;
  directory: DataPlaneDirectory;
}

@Module({})
export class AdminModule {
  static forRoot(deps: AdminDeps): DynamicModule {
    return {
      module: AdminModule,
      controllers: [RootController, ServicesController, RoutesController],
      providers: [
        EntitiesService,
        { provide: EntityStore, useValue: deps.store },
        { provide: SnapshotScheduler, useValue: deps.snapshots },
        { provide: NODE_INFO, useValue: deps.node },
        { provide: DATA_PLANE_DIRECTORY, useValue: deps.directory },
      ],
    };
  }
}
