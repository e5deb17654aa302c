// Reads the config at one consistent version, checks it is whole (no dangling references, every
// entity valid) and freezes it into a hashed snapshot.
import { makeSnapshot, validateConfig, type Snapshot } from '@archway/schema';
import type { EntityStore } from '../store/entity-store';

export async function buildSnapshot(store: EntityStore): Promise<Snapshot> {
  const { version, config } = await store.readConfig();
  return makeSnapshot(version, validateConfig(config));
}
