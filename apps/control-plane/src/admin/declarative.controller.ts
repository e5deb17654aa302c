// GET /config and POST /config: the whole config in Kong's declarative format. (/config/versions and
// /config/rollback/{v}, the history, are HistoryController's.)
import { Controller, Get, Inject, Post, Query, Res } from '@nestjs/common';
import type { DecodedBody } from './arguments-decoder';
import { AdminBody } from './admin-body';
import { DeclarativeService } from './declarative.service';
import type { ExpressResponse } from './express-types';

const truthy = (v: unknown) => v === '1' || v === 'true' || v === true || v === 1;

@Controller('config')
export class DeclarativeController {
  constructor(@Inject(DeclarativeService) private readonly declarative: DeclarativeService) {}

  /** `?flat=true`: every collection at the top level, references as {id}; nested otherwise. */
  @Get()
  get(@Query('flat') flat?: string) {
    return this.declarative.export(!truthy(flat));
  }

  /** 201 with the new config's entities; `check_hash=1` and nothing to change: 304, nothing written. */
  @Post()
  async post(@AdminBody() decoded: DecodedBody, @Query() query: Record<string, unknown>, @Res({ passthrough: true }) res: ExpressResponse) {
    const body = decoded.body as Record<string, unknown>;
    const checkHash = truthy(query.check_hash) || truthy(body.check_hash);
    const result = await this.declarative.import(body);
    if (checkHash && result.unchanged) {
      res.status(304);
      return undefined;
    }
    res.status(201);
    return result.entities;
  }
}
