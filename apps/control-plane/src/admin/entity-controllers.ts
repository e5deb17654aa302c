// Kong's entity endpoints, generated from the schemas as Kong's own kong/api/endpoints.lua does:
// a collection and an entity endpoint per entity, the nested endpoints Kong has, and the foreign-key
// endpoints (/routes/{r}/service). Every handler is one line; rules live in EntitiesService.
import { Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query, type Type, UseInterceptors } from '@nestjs/common';
import { adminPathOf, entitySchema, type EntityName, type EntitySchema } from '@archway/schema';
import { AdminBody } from './admin-body';
import type { DecodedBody } from './arguments-decoder';
import { EntitiesService, type Parent } from './entities.service';
import { EntityEtagInterceptor } from './etag.interceptor';
import { listBody, listQuery } from './list-query';

/** Kong's nested endpoints: [parent, child, the child's field that names the parent]. */
export const NESTED: readonly (readonly [EntityName, EntityName, string])[] = [
  ['services', 'routes', 'service'],
  ['services', 'plugins', 'service'],
  ['routes', 'plugins', 'route'],
  ['consumers', 'plugins', 'consumer'],
  ['consumers', 'keyauth_credentials', 'consumer'],
  ['consumers', 'basicauth_credentials', 'consumer'],
  ['consumers', 'jwt_secrets', 'consumer'],
  ['consumers', 'acls', 'consumer'],
  ['upstreams', 'targets', 'upstream'],
  ['certificates', 'snis', 'certificate'],
];

type Q = Record<string, unknown>;

/** The child's path segment under its parent: `key-auth` in /consumers/{c}/key-auth. */
export function nestedSegment(child: EntitySchema): string {
  return child.nestedPath ?? adminPathOf(child);
}

/** The foreign-key fields of an entity; each has a GET endpoint (/routes/{r}/service). */
export function foreignFields(schema: EntitySchema): string[] {
  return Object.entries(schema.fields)
    .filter(([, def]) => def.type === 'foreign')
    .map(([field]) => field);
}

/** /{entities} and /{entities}/{id or key}. */
export function collectionController(schema: EntitySchema): Type<unknown> {
  const kind = schema.name;
  const path = adminPathOf(schema);

  @Controller(path)
  @UseInterceptors(new EntityEtagInterceptor(kind))
  class CollectionController {
    constructor(@Inject(EntitiesService) private readonly entities: EntitiesService) {}

    @Get()
    async list(@Query() query: Q) {
      const q = listQuery(query);
      return listBody(`/${path}`, await this.entities.list(kind, q), q);
    }

    @Post()
    create(@AdminBody() b: DecodedBody) {
      return this.entities.create(kind, b.body, b.fromForm);
    }

    @Get(':key')
    get(@Param('key') key: string) {
      return this.entities.get(kind, key);
    }

    @Patch(':key')
    update(@Param('key') key: string, @AdminBody() b: DecodedBody) {
      return this.entities.update(kind, key, b.body, b.fromForm);
    }

    @Put(':key')
    @HttpCode(200)
    upsert(@Param('key') key: string, @AdminBody() b: DecodedBody) {
      return this.entities.upsert(kind, key, b.body, b.fromForm);
    }

    @Delete(':key')
    @HttpCode(204)
    async remove(@Param('key') key: string) {
      await this.entities.remove(kind, key);
    }
  }
  Object.defineProperty(CollectionController, 'name', { value: `${kind}Controller` });
  return CollectionController;
}

/** /{parents}/{p}/{children} and /{parents}/{p}/{children}/{id or key}. */
export function nestedController(parentKind: EntityName, childKind: EntityName, field: string): Type<unknown> {
  const parentPath = adminPathOf(entitySchema(parentKind));
  const child = entitySchema(childKind);
  const childPath = nestedSegment(child);
  const parentOf = (p: string): Parent => ({ kind: parentKind, idOrKey: p, field });

  @Controller(`${parentPath}/:parent/${childPath}`)
  @UseInterceptors(new EntityEtagInterceptor(childKind))
  class NestedController {
    constructor(@Inject(EntitiesService) private readonly entities: EntitiesService) {}

    @Get()
    async list(@Param('parent') p: string, @Query() query: Q) {
      const q = listQuery(query);
      const page = await this.entities.list(childKind, q, parentOf(p));
      return listBody(`/${parentPath}/${encodeURIComponent(p)}/${childPath}`, page, q);
    }

    @Post()
    create(@Param('parent') p: string, @AdminBody() b: DecodedBody) {
      return this.entities.create(childKind, b.body, b.fromForm, parentOf(p));
    }

    @Get(':key')
    get(@Param('parent') p: string, @Param('key') key: string) {
      return this.entities.get(childKind, key, parentOf(p));
    }

    @Patch(':key')
    update(@Param('parent') p: string, @Param('key') key: string, @AdminBody() b: DecodedBody) {
      return this.entities.update(childKind, key, b.body, b.fromForm, parentOf(p));
    }

    @Put(':key')
    @HttpCode(200)
    upsert(@Param('parent') p: string, @Param('key') key: string, @AdminBody() b: DecodedBody) {
      return this.entities.upsert(childKind, key, b.body, b.fromForm, parentOf(p));
    }

    @Delete(':key')
    @HttpCode(204)
    async remove(@Param('parent') p: string, @Param('key') key: string) {
      await this.entities.remove(childKind, key, parentOf(p));
    }
  }
  Object.defineProperty(NestedController, 'name', { value: `${parentKind}${childKind}Controller` });
  return NestedController;
}

/** GET /{entities}/{id or key}/{foreign field}, e.g. /routes/{r}/service, /key-auths/{k}/consumer. */
export function foreignController(schema: EntitySchema, field: string): Type<unknown> {
  @Controller(`${adminPathOf(schema)}/:key/${field}`)
  @UseInterceptors(new EntityEtagInterceptor((schema.fields[field] as { reference: string }).reference as EntityName))
  class ForeignController {
    constructor(@Inject(EntitiesService) private readonly entities: EntitiesService) {}

    @Get()
    get(@Param('key') key: string) {
      return this.entities.getForeign(schema.name, key, field);
    }
  }
  Object.defineProperty(ForeignController, 'name', { value: `${schema.name}${field}Controller` });
  return ForeignController;
}

/** Every entity controller, most specific paths first (Express matches in registration order). */
export function entityControllers(schemas: readonly EntitySchema[]): Type<unknown>[] {
  const nested = NESTED.map(([parent, child, field]) => nestedController(parent, child, field));
  const foreign = schemas.flatMap((s) => foreignFields(s).map((field) => foreignController(s, field)));
  return [...nested, ...foreign, ...schemas.map(collectionController)];
}
