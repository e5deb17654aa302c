// Reads the config at one consistent version, checks it is whole (no dangling references, every
// entity valid, every plugin config valid for its plugin) and freezes it into a hashed snapshot.
import { pluginSchema } from '@archway/plugins';
import { makeSnapshot, validateConfig, type ConfigSet, type PluginLookup, type Snapshot } from '@archway/schema';
import type { EntityStore } from '../store/entity-store';

/** `plugins` checks plugin configs: the same lookup the Admin API validated them with (main.ts). */
export async function buildSnapshot(store: EntityStore, plugins: PluginLookup = pluginSchema): Promise<Snapshot> {
  const { version, entities } = await store.readConfig();
  // every collection is published; validateConfig reads the ones ConfigSet names and ignores the rest
  return makeSnapshot(version, validateConfig(entities as unknown as Partial<ConfigSet>, plugins));
}
