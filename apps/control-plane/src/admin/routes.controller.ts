// /routes and /routes/{r}/service.
import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { AdminBody } from './admin-body';
import { pageArgs, type DecodedBody } from './arguments-decoder';
import { EntitiesService, notFound } from './entities.service';
import { listBody } from './pagination';

@Controller('routes')
export class RoutesController {
  constructor(private readonly entities: EntitiesService) {}

  @Get()
  async list(@Query() query: Record<string, unknown>) {
    const p = pageArgs(query);
    return listBody('/routes', await this.entities.list('routes', p), p.size, p.sizeGiven);
  }

  @Post()
  create(@AdminBody() b: DecodedBody) {
    return this.entities.create('routes', b.body, b.fromForm);
  }

  @Get(':route')
  get(@Param('route') r: string) {
    return this.entities.get('routes', r);
  }

  @Patch(':route')
  update(@Param('route') r: string, @AdminBody() b: DecodedBody) {
    return this.entities.update('routes', r, b.body, b.fromForm);
  }

  @Put(':route')
  @HttpCode(200)
  upsert(@Param('route') r: string, @AdminBody() b: DecodedBody) {
    return this.entities.upsert('routes', r, b.body, b.fromForm);
  }

  @Delete(':route')
  @HttpCode(204)
  async remove(@Param('route') r: string) {
    await this.entities.remove('routes', r);
  }

  @Get(':route/service')
  async service(@Param('route') r: string) {
    const route = await this.entities.get('routes', r);
    if (!route.service) throw notFound();
    return this.entities.get('services', route.service.id);
  }
}
