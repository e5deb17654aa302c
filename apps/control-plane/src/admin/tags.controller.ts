// Kong's tags endpoints (kong/api/routes/tags.lua): GET /tags lists every (tag, entity) pair,
// GET /tags/{tag} those of one tag; paginated like every list.
import { Controller, Get, Param, Query } from '@nestjs/common';
import { EntityStore } from '../store/entity-store';
import type { TagPageQuery } from '../store/tags-query';
import { pageArgs } from './arguments-decoder';
import { listBody, type ListQuery } from './list-query';

@Controller('tags')
export class TagsController {
  constructor(private readonly store: EntityStore) {}

  @Get()
  all(@Query() query: Record<string, unknown>) {
    return this.page('/tags', query);
  }

  @Get(':tags')
  one(@Param('tags') tag: string, @Query() query: Record<string, unknown>) {
    // no entity carries a tag with a NUL (Postgres cannot store one), and asking would fail
    if (tag.includes('\u0000')) return { data: [], next: null };
    return this.page(`/tags/${encodeURIComponent(tag)}`, query, tag);
  }

  private async page(path: string, query: Record<string, unknown>, tag?: string) {
    const { size, sizeGiven, offset } = pageArgs(query);
    const q: TagPageQuery = { size, offset, tag };
    const list: ListQuery = { size, offset, carry: sizeGiven ? `&size=${size}` : '' };
    return listBody(path, await this.store.tags(q), list);
  }
}
