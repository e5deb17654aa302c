// Per-entity additions to the generic rules of EntitiesService, for the few entities whose Admin API
// behaviour Kong implements in a custom DAO (a certificate's `snis`, a service's trusted CAs).
// Entities without hooks are written and read exactly as stored.
import type { EntityName, WriteKind } from '@archway/schema';
import type { Entity, EntityStore, WriteTx } from '../store/entity-store';
import { caCertificateReferences, serviceCaCertificates } from './ca-certificate-references';
import { certificateSnis } from './certificate-snis';

export interface EntityHooks {
  /** Checks on the raw input that Kong makes before the schema runs; throws Kong's error. */
  prepare(input: Record<string, unknown>): void;
  /** Stores a validated entity (inserted when `existing` is null) with what goes with it; returns the API's answer. */
  write(tx: WriteTx, entity: Entity, input: Record<string, unknown>, writeKind: WriteKind, existing: Entity | null): Promise<Entity>;
  /** Adds the derived fields to entities read back. */
  present(store: EntityStore, entities: Entity[]): Promise<Entity[]>;
  /** Refuses a delete Kong's DAO refuses (a CA certificate a service still trusts); throws Kong's error. */
  beforeDelete?(tx: WriteTx, existing: Entity): Promise<void>;
}

const HOOKS: Partial<Record<EntityName, EntityHooks>> = {
  certificates: certificateSnis,
  services: serviceCaCertificates,
  ca_certificates: caCertificateReferences,
};

export function entityHooks(kind: EntityName): EntityHooks | undefined {
  return HOOKS[kind];
}
