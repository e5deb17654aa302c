// TypeORM records. Each entity row keeps the columns the database must enforce (primary key, unique
// name, foreign key, ordering) and the complete validated entity in `data`, so what the Admin API
// returns is exactly what libs/schema produced.
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'config_version' })
export class ConfigVersionRecord {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'bigint' })
  version!: string;
}

@Entity({ name: 'services' })
export class ServiceRecord {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text', nullable: true, unique: true })
  name!: string | null;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;
}

@Entity({ name: 'routes' })
export class RouteRecord {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text', nullable: true, unique: true })
  name!: string | null;

  @Column({ type: 'uuid', nullable: true })
  service_id!: string | null;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;
}

export const RECORDS = [ConfigVersionRecord, ServiceRecord, RouteRecord];
