// The auth plugins' credential lookups share one shape: the entities of a collection by a unique field
// (key-auth's key, basic-auth's username, jwt's key), built from a whole config in steps and updated
// from a delta in a layer (LayeredMap), so a credential write does not build the lookup again.
import { LayeredMap, type ConfigIndex } from '@archway/pipeline';
import { forEachInSteps } from '@archway/schema';

export interface LookupByField<E extends { id: string }, V> {
  /** the ConfigIndex key (one per distinct lookup) */
  key: string;
  /** the collection read, e.g. 'keyauth_credentials' */
  collection: string;
  /** the unique field looked up */
  field(entity: E): string;
  /** what the lookup holds for an entity */
  value(entity: E): V;
  /** the id of the entity a value was made from */
  idOf(value: V): string;
}

/** A ConfigIndex of `collection`'s entities by `field`; a dropped entity's key goes only while it is still that entity's. */
export function lookupByField<E extends { id: string }, V>(spec: LookupByField<E, V>): ConfigIndex<LayeredMap<string, V>> {
  const list = (from: Partial<Record<string, readonly unknown[]>>) => (from[spec.collection] ?? []) as readonly E[];
  return {
    key: spec.key,
    *build(config) {
      const byField = new Map<string, V>();
      yield* forEachInSteps((config as unknown as Record<string, E[] | undefined>)[spec.collection], (e) => byField.set(spec.field(e), spec.value(e)));
      return new LayeredMap(byField);
    },
    *update(prev, changes) {
      const owned = (e: E) => {
        const v = prev.get(spec.field(e));
        return v !== undefined && spec.idOf(v) === e.id;
      };
      return yield* prev.withSteps(
        list(changes.dropped).filter(owned).map(spec.field),
        list(changes.upserted).map((e) => [spec.field(e), spec.value(e)]),
      );
    },
  };
}
