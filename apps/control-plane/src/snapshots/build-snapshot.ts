// Reads the config at one consistent version, checks it is whole (no dangling references, every
// entity valid, every plugin config valid for its plugin) and freezes it into a hashed snapshot.
// Every row was validated by the Admin API when written; a build validates again only the rows that
// changed since the previous build (by their revision, the row's xmin), and checks references and
// unique keys across the whole set each time. The published snapshot is the same either way.
import { pluginSchema } from '@archway/plugins';
import { makeSnapshot, validateConfig, type ConfigSet, type PluginLookup, type Snapshot, type ValidationMemo } from '@archway/schema';
import type { EntityStore } from '../store/entity-store';

type StoredEntity = Record<string, unknown> & { id: string };

export class SnapshotBuilder {
  /** `${kind}:${id}` -> the row's revision and the entity validated from it (the previous build's rows) */
  #validated = new Map<string, { rev: string; entity: StoredEntity }>();

  /** `plugins` checks plugin configs: the same lookup the Admin API validated them with (main.ts). */
  constructor(
    private readonly store: Pick<EntityStore, 'readConfig'>,
    private readonly plugins: PluginLookup = pluginSchema,
  ) {}

  async build(): Promise<Snapshot> {
    const { version, entities, revisions } = await this.store.readConfig();
    const revOf = new Map<object, string>();
    for (const [kind, list] of Object.entries(entities)) list.forEach((e, i) => revOf.set(e, revisions[kind as keyof typeof revisions][i]));
    const next = new Map<string, { rev: string; entity: StoredEntity }>();
    const memo: ValidationMemo = {
      known: (kind, raw) => {
        const key = `${kind}:${String(raw.id)}`;
        const before = this.#validated.get(key);
        if (before === undefined || before.rev !== revOf.get(raw)) return undefined;
        next.set(key, before);
        return before.entity;
      },
      validated: (kind, raw, entity) => {
        const rev = revOf.get(raw);
        if (rev !== undefined) next.set(`${kind}:${entity.id}`, { rev, entity });
      },
    };
    // every collection is published; validateConfig reads the ones ConfigSet names and ignores the rest
    const config = validateConfig(entities as unknown as Partial<ConfigSet>, this.plugins, memo);
    this.#validated = next;
    return makeSnapshot(version, config);
  }
}

/** One build with nothing remembered (every row validated). */
export function buildSnapshot(store: Pick<EntityStore, 'readConfig'>, plugins: PluginLookup = pluginSchema): Promise<Snapshot> {
  return new SnapshotBuilder(store, plugins).build();
}
