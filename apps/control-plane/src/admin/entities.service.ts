// The Admin API's rules for every entity: validation by libs/schema, references resolved by id or
// name, and every change written in one transaction that advances the config version.
import { Injectable } from '@nestjs/common';
import {
  ArchwayError,
  ErrorCodes,
  foreignKeyViolation,
  isUuid,
  routeSchema,
  serviceSchema,
  validateEntity,
  type EntitySchema,
  type WriteKind,
} from '@archway/schema';
import { EntityStore, type EntityOf, type Kind, type Page, type WriteTx } from '../store/entity-store';
import { SnapshotScheduler } from '../snapshots/snapshot-scheduler';

const SCHEMAS: Record<Kind, EntitySchema> = { services: serviceSchema, routes: routeSchema };

export const notFound = () => new ArchwayError(ErrorCodes.NOT_FOUND, 'Not found');

/** The parent in a nested endpoint such as /services/{s}/routes. */
export interface Parent {
  kind: 'services';
  idOrName: string;
}

type Input = Record<string, unknown>;

@Injectable()
export class EntitiesService {
  constructor(
    private readonly store: EntityStore,
    private readonly snapshots: SnapshotScheduler,
  ) {}

  async list<K extends Kind>(kind: K, q: { size: number; offset?: string }, parent?: Parent): Promise<Page<EntityOf<K>>> {
    if (!parent) return this.store.page(kind, q);
    const service = await this.store.find('services', parent.idOrName);
    if (!service) throw notFound();
    return this.store.page(kind, { ...q, serviceId: service.id });
  }

  async get<K extends Kind>(kind: K, idOrName: string, parent?: Parent): Promise<EntityOf<K>> {
    const entity = await this.store.find(kind, idOrName);
    if (!entity || !(await this.belongs(entity, parent))) throw notFound();
    return entity;
  }

  create<K extends Kind>(kind: K, input: Input, fromForm: boolean, parent?: Parent): Promise<EntityOf<K>> {
    return this.write(async (tx) => {
      const body = await this.resolveReferences(tx, kind, input, parent);
      const entity = validateEntity<EntityOf<K>>(SCHEMAS[kind], body, 'create', { fromForm });
      return tx.insert(kind, entity);
    });
  }

  update<K extends Kind>(kind: K, idOrName: string, input: Input, fromForm: boolean, parent?: Parent): Promise<EntityOf<K>> {
    return this.write(async (tx) => {
      const existing = await tx.find(kind, idOrName);
      if (!existing || !(await this.belongs(existing, parent, tx))) throw notFound();
      const body = await this.resolveReferences(tx, kind, input, parent);
      const entity = validateEntity<EntityOf<K>>(SCHEMAS[kind], body, 'update', {
        fromForm,
        existing: existing as unknown as Input,
      });
      return tx.update(kind, entity);
    });
  }

  /** PUT: create or replace; the key in the path wins over the body. */
  upsert<K extends Kind>(kind: K, idOrName: string, input: Input, fromForm: boolean, parent?: Parent): Promise<EntityOf<K>> {
    return this.write(async (tx) => {
      const existing = await tx.find(kind, idOrName);
      if (existing && !(await this.belongs(existing, parent, tx))) throw notFound();
      const keyed = isUuid(idOrName) ? { ...input, id: idOrName } : { ...input, [SCHEMAS[kind].endpointKey ?? 'name']: idOrName };
      const body = await this.resolveReferences(tx, kind, keyed, parent);
      const writeKind: WriteKind = existing ? 'replace' : 'create';
      const entity = validateEntity<EntityOf<K>>(SCHEMAS[kind], body, writeKind, {
        fromForm,
        existing: existing as unknown as Input | null,
      });
      return existing ? tx.update(kind, entity) : tx.insert(kind, entity);
    });
  }

  /** DELETE answers 204 whether or not the entity existed, as Kong does; only a real delete spends a version. */
  async remove(kind: Kind, idOrName: string, parent?: Parent): Promise<void> {
    const { version } = await this.store.write(async (tx) => {
      const existing = await tx.find(kind, idOrName);
      if (!existing || !(await this.belongs(existing, parent, tx))) return { result: undefined, changed: false };
      return { result: undefined, changed: await tx.delete(kind, existing.id) };
    });
    if (version !== null) this.snapshots.trigger(version);
  }

  private async write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    const { result, version } = await this.store.write(async (tx) => ({ result: await fn(tx), changed: true }));
    if (version !== null) this.snapshots.trigger(version);
    return result;
  }

  private async belongs(entity: EntityOf<Kind>, parent: Parent | undefined, tx?: WriteTx): Promise<boolean> {
    if (!parent) return true;
    const service = await (tx ?? this.store).find('services', parent.idOrName);
    return !!service && 'service' in entity && entity.service?.id === service.id;
  }

  /** Routes may name their service by id or name (`service.name=x`); nested endpoints fill it in. */
  private async resolveReferences(tx: WriteTx, kind: Kind, input: Input, parent?: Parent): Promise<Input> {
    if (kind !== 'routes') return input;
    if (parent) {
      const service = await tx.find('services', parent.idOrName);
      if (!service) throw notFound();
      return { ...input, service: { id: service.id } };
    }
    const ref = input.service;
    if (ref === null || typeof ref !== 'object' || Array.isArray(ref)) return input;
    const { id, name, ...rest } = ref as Input;
    if (Object.keys(rest).length || (id === undefined && name === undefined)) return input; // let the schema name the field
    const key = id !== undefined ? id : name;
    if (typeof key !== 'string' || (id !== undefined && !isUuid(id))) return input;
    const service = await tx.find('services', key);
    if (!service) throw foreignKeyViolation('service', id !== undefined ? { id } : { name }, 'services');
    return { ...input, service: { id: service.id } };
  }
}
