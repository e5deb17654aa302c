// Puts the ETag header on every single-entity answer of the entity controllers (GET, POST, PATCH and
// PUT of one entity, and the foreign-key GETs such as /routes/{r}/service), in one place.
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { EntityName } from '@archway/schema';
import type { ServerResponse } from 'node:http';
import { map, type Observable } from 'rxjs';
import { etagOf, isSingleEntity } from './etag';

/** One per controller, for the kind of entity its single-entity answers are. */
export class EntityEtagInterceptor implements NestInterceptor {
  constructor(private readonly kind: EntityName) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = ctx.switchToHttp().getResponse<ServerResponse>();
    return next.handle().pipe(
      map((body: unknown) => {
        if (isSingleEntity(body) && !res.headersSent) res.setHeader('ETag', etagOf(this.kind, body));
        return body;
      }),
    );
  }
}
