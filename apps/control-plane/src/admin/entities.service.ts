// The Admin API's rules for every entity alike: validation by libs/schema (plugins by their own
// schema), references resolved by id or endpoint key, nested endpoints scoped to their parent, and
// every change written in one transaction that advances the config version.
import { Inject, Injectable } from '@nestjs/common';
import {
  ArchwayError,
  ErrorCodes,
  entitySchema,
  foreignKeyViolation,
  isUuid,
  validateEntity,
  validatePlugin,
  type EntityName,
  type EntitySchema,
  type PluginLookup,
  type ValidateOptions,
  type WriteKind,
} from '@archway/schema';
import { SnapshotScheduler } from '../snapshots/snapshot-scheduler';
import { EntityStore, type Entity, type Page, type PageQuery, type Scope, type WriteTx } from '../store/entity-store';
import { entityHooks } from './entity-hooks';
import { checkIfMatch } from './etag';
import { currentActor } from './request-context';
import { unstorableText } from './storable-text';
import { PLUGIN_LOOKUP } from './tokens';

export const notFound = () => new ArchwayError(ErrorCodes.NOT_FOUND, 'Not found');

/** The parent in a nested endpoint such as /services/{s}/routes: its kind, its key, and the child's field naming it. */
export interface Parent {
  kind: EntityName;
  idOrKey: string;
  field: string;
}

type Input = Record<string, unknown>;

@Injectable()
export class EntitiesService {
  constructor(
    private readonly store: EntityStore,
    private readonly snapshots: SnapshotScheduler,
    @Inject(PLUGIN_LOOKUP) private readonly plugins: PluginLookup,
  ) {}

  async list(kind: EntityName, q: Omit<PageQuery, 'scope'>, parent?: Parent): Promise<Page<Entity>> {
    if (!parent) return this.presentPage(kind, await this.store.page(kind, q));
    const p = await this.store.find(parent.kind, parent.idOrKey);
    if (!p) throw notFound();
    return this.presentPage(kind, await this.store.page(kind, { ...q, scope: { field: parent.field, id: p.id } }));
  }

  async get(kind: EntityName, idOrKey: string, parent?: Parent): Promise<Entity> {
    const scope = parent ? await this.scopeOf(parent) : undefined;
    const entity = await this.store.find(kind, idOrKey, scope);
    if (!entity) throw notFound();
    const hooks = entityHooks(kind);
    return hooks ? (await hooks.present(this.store, [entity]))[0] : entity;
  }

  /** GET /routes/{r}/service: the entity a foreign field points at. */
  async getForeign(kind: EntityName, idOrKey: string, field: string): Promise<Entity> {
    const entity = await this.get(kind, idOrKey);
    const ref = entity[field] as { id: string } | null;
    const def = entitySchema(kind).fields[field];
    if (!ref || def?.type !== 'foreign') throw notFound();
    return this.get(def.reference as EntityName, ref.id);
  }

  create(kind: EntityName, input: Input, fromForm: boolean, parent?: Parent): Promise<Entity> {
    return this.write(async (tx) => {
      const body = await this.resolveReferences(tx, kind, input, parent);
      return this.save(tx, kind, this.validate(kind, body, 'create', { fromForm }, null), body, 'create', null);
    });
  }

  update(kind: EntityName, idOrKey: string, input: Input, fromForm: boolean, parent?: Parent): Promise<Entity> {
    return this.write(async (tx) => {
      const scope = parent ? await this.txScopeOf(tx, parent) : undefined;
      const existing = await tx.find(kind, idOrKey, scope);
      checkIfMatch(kind, existing);
      if (!existing) throw notFound();
      const body = await this.resolveReferences(tx, kind, input, parent);
      return this.save(tx, kind, this.validate(kind, body, 'update', { fromForm, existing }, existing), body, 'update', existing);
    });
  }

  /** PUT: create or replace; the key in the path wins over the body. */
  upsert(kind: EntityName, idOrKey: string, input: Input, fromForm: boolean, parent?: Parent): Promise<Entity> {
    const schema = entitySchema(kind);
    if (!isUuid(idOrKey) && !schema.endpointKey) throw notFound();
    // the path's key is written as a field: refuse what the database cannot store, as for a body
    const unstorable = isUuid(idOrKey) ? null : unstorableText({ [schema.endpointKey as string]: idOrKey });
    if (unstorable) throw unstorable;
    return this.write(async (tx) => {
      const scope = parent ? await this.txScopeOf(tx, parent) : undefined;
      const existing = await tx.find(kind, idOrKey, scope);
      checkIfMatch(kind, existing);
      const keyed = isUuid(idOrKey) ? { ...input, id: idOrKey } : { ...input, [schema.endpointKey as string]: idOrKey };
      const body = await this.resolveReferences(tx, kind, keyed, parent);
      const writeKind: WriteKind = existing ? 'replace' : 'create';
      const entity = this.validate(kind, body, writeKind, { fromForm, existing }, existing);
      return this.save(tx, kind, entity, body, writeKind, existing);
    });
  }

  /**
   * DELETE answers 204 whether or not the entity existed, as Kong does (412 if an If-Match names it);
   * only a real delete spends a version.
   */
  async remove(kind: EntityName, idOrKey: string, parent?: Parent): Promise<void> {
    const { version } = await this.store.write(async (tx) => {
      const p = parent ? await tx.find(parent.kind, parent.idOrKey) : null;
      if (parent && !p) {
        checkIfMatch(kind, null);
        return { result: undefined, changed: false };
      }
      const existing = await tx.find(kind, idOrKey, parent && p ? { field: parent.field, id: p.id } : undefined);
      checkIfMatch(kind, existing);
      if (!existing) return { result: undefined, changed: false };
      await entityHooks(kind)?.beforeDelete?.(tx, existing);
      return { result: undefined, changed: await tx.delete(kind, existing.id) };
    }, currentActor());
    if (version !== null) this.snapshots.trigger(version);
  }

  private validate(kind: EntityName, body: Input, writeKind: WriteKind, opts: ValidateOptions, existing: Entity | null): Entity {
    const schema = entitySchema(kind);
    entityHooks(kind)?.prepare(body);
    const entity = (
      kind === 'plugins' ? validatePlugin(body, writeKind, this.plugins, opts) : validateEntity(schema, body, writeKind, opts)
    ) as Entity;
    return (schema.beforeStore ? schema.beforeStore(entity, existing) : entity) as Entity;
  }

  /** Inserts (no `existing`) or updates; entities with hooks (a certificate's snis) write what goes with them. */
  private save(tx: WriteTx, kind: EntityName, entity: Entity, input: Input, writeKind: WriteKind, existing: Entity | null): Promise<Entity> {
    const hooks = entityHooks(kind);
    if (hooks) return hooks.write(tx, entity, input, writeKind, existing);
    return existing ? tx.update(kind, entity) : tx.insert(kind, entity);
  }

  private async presentPage(kind: EntityName, page: Page<Entity>): Promise<Page<Entity>> {
    const hooks = entityHooks(kind);
    return hooks ? { ...page, data: await hooks.present(this.store, page.data) } : page;
  }

  private async write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    const { result, version } = await this.store.write(async (tx) => ({ result: await fn(tx), changed: true }), currentActor());
    if (version !== null) this.snapshots.trigger(version);
    return result;
  }

  private async scopeOf(parent: Parent): Promise<Scope> {
    const p = await this.store.find(parent.kind, parent.idOrKey);
    if (!p) throw notFound();
    return { field: parent.field, id: p.id };
  }

  /** The scope of a nested write; 404 when the parent does not exist. */
  private async txScopeOf(tx: WriteTx, parent: Parent): Promise<Scope> {
    const p = await tx.find(parent.kind, parent.idOrKey);
    if (!p) throw notFound();
    return { field: parent.field, id: p.id };
  }

  /**
   * Foreign keys may name their entity by id or by its endpoint key (`service.name=x`,
   * `consumer.username=bob`); nested endpoints fill in the parent. Anything malformed is left for the
   * schema to name.
   */
  private async resolveReferences(tx: WriteTx, kind: EntityName, input: Input, parent?: Parent): Promise<Input> {
    const schema: EntitySchema = entitySchema(kind);
    const out = { ...input };
    if (parent) {
      const p = await tx.find(parent.kind, parent.idOrKey);
      if (!p) throw notFound();
      out[parent.field] = { id: p.id };
    }
    for (const [field, def] of Object.entries(schema.fields)) {
      if (def.type !== 'foreign' || (parent && field === parent.field)) continue;
      const ref = out[field];
      if (ref === null || typeof ref !== 'object' || Array.isArray(ref)) continue;
      const entries = Object.entries(ref as Input);
      if (entries.length !== 1) continue;
      const [[key, value]] = entries;
      const parentSchema = entitySchema(def.reference as EntityName);
      if (typeof value !== 'string' || (key === 'id' ? !isUuid(value) : key !== parentSchema.endpointKey)) continue;
      const found = await tx.find(parentSchema.name, value);
      if (!found) throw foreignKeyViolation(field, { [key]: value }, parentSchema.name);
      out[field] = { id: found.id };
    }
    return out;
  }
}
