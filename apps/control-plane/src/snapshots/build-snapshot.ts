// Reads the config at one consistent version, checks it is whole (no dangling references, every
// entity valid) and freezes it into a hashed snapshot.
import { makeSnapshot, validateConfig, type ConfigSet, type Snapshot } from '@archway/schema';
import type { EntityStore } from '../store/entity-store';

export async function buildSnapshot(store: EntityStore): Promise<Snapshot> {
  const { version, entities } = await store.readConfig();
  // the snapshot carries what data planes use so far; more collections join as the proxy needs them
  const config = { services: entities.services, routes: entities.routes } as unknown as ConfigSet;
  return makeSnapshot(version, validateConfig(config));
}
