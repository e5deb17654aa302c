// What replacing the whole config by a declarative file takes: the entities to delete (not in the
// file), update (in both, changed) and insert (new). Pure: the service applies the plan in one write.
// Timestamps do not count as a change: the same file posted twice changes nothing.
import { DECLARATIVE_COLLECTIONS, entityEtag, entitySchema, type EntityName } from '@archway/schema';

export type Entity = Record<string, unknown> & { id: string };
export type EntitySet = Record<EntityName, Entity[]>;

export interface ReplacePlan {
  /** children before parents */
  deletes: { kind: EntityName; id: string }[];
  /** parents before children; within a kind, updates before inserts (a renamed entity frees its name first) */
  writes: { kind: EntityName; op: 'update' | 'insert'; entity: Entity }[];
  /** the config once the plan is applied */
  result: EntitySet;
}

const key = (kind: EntityName, id: string) => `${kind}/${id}`;

function comparable(e: Entity): string {
  const rest: Record<string, unknown> = { ...e };
  delete rest.created_at;
  delete rest.updated_at;
  return entityEtag(rest);
}

function foreignRefs(kind: EntityName, e: Entity): string[] {
  const out: string[] = [];
  for (const [field, def] of Object.entries(entitySchema(kind).fields)) {
    const ref = e[field] as { id?: unknown } | null | undefined;
    if (def.type === 'foreign' && ref && typeof ref.id === 'string') out.push(key(def.reference as EntityName, ref.id));
  }
  return out;
}

/**
 * Entities kept by the file but stored under a parent that goes (a route moved from a deleted service
 * to a new one) are deleted and inserted again rather than updated: deleting their old parent would
 * take them along (cascade) or be refused (restrict). Their own children follow them, and so on:
 * parents come first in DECLARATIVE_COLLECTIONS, so one pass finds them all.
 */
function toRecreate(current: Partial<EntitySet>, wanted: Set<string>): Set<string> {
  const gone = new Set<string>();
  for (const kind of DECLARATIVE_COLLECTIONS) for (const e of current[kind] ?? []) if (!wanted.has(key(kind, e.id))) gone.add(key(kind, e.id));
  const recreate = new Set<string>();
  for (const kind of DECLARATIVE_COLLECTIONS)
    for (const e of current[kind] ?? [])
      if (wanted.has(key(kind, e.id)) && foreignRefs(kind, e).some((r) => gone.has(r) || recreate.has(r))) recreate.add(key(kind, e.id));
  return recreate;
}

export function planReplace(current: Partial<EntitySet>, desired: Partial<EntitySet>): ReplacePlan {
  const wanted = new Set<string>();
  for (const kind of DECLARATIVE_COLLECTIONS) for (const e of desired[kind] ?? []) wanted.add(key(kind, e.id));
  const recreate = toRecreate(current, wanted);
  const plan: ReplacePlan = { deletes: [], writes: [], result: {} as EntitySet };
  for (const kind of [...DECLARATIVE_COLLECTIONS].reverse())
    for (const e of current[kind] ?? []) if (!wanted.has(key(kind, e.id)) || recreate.has(key(kind, e.id))) plan.deletes.push({ kind, id: e.id });
  for (const kind of DECLARATIVE_COLLECTIONS) {
    const stored = new Map((current[kind] ?? []).map((e) => [e.id, e]));
    const updates: ReplacePlan['writes'] = [];
    const inserts: ReplacePlan['writes'] = [];
    plan.result[kind] = (desired[kind] ?? []).map((e) => {
      const existing = stored.get(e.id);
      if (!existing) return (inserts.push({ kind, op: 'insert', entity: e }), e);
      // an entity keeps the creation time it was first stored with
      const next = { ...e, created_at: existing.created_at };
      if (recreate.has(key(kind, e.id))) return (inserts.push({ kind, op: 'insert', entity: next }), next);
      if (comparable(existing) === comparable(e)) return existing;
      return (updates.push({ kind, op: 'update', entity: next }), next);
    });
    plan.writes.push(...updates, ...inserts);
  }
  return plan;
}

export function isEmptyPlan(plan: ReplacePlan): boolean {
  return plan.deletes.length === 0 && plan.writes.length === 0;
}
