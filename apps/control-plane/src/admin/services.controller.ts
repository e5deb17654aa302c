// /services and the routes nested under a service. One line per endpoint; rules live in EntitiesService.
import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { AdminBody } from './admin-body';
import type { DecodedBody } from './arguments-decoder';
import { pageArgs } from './arguments-decoder';
import { EntitiesService, type Parent } from './entities.service';
import { listBody } from './pagination';

const parentOf = (s: string): Parent => ({ kind: 'services', idOrName: s });

@Controller('services')
export class ServicesController {
  constructor(private readonly entities: EntitiesService) {}

  @Get()
  async list(@Query() query: Record<string, unknown>) {
    const p = pageArgs(query);
    return listBody('/services', await this.entities.list('services', p), p.size, p.sizeGiven);
  }

  @Post()
  create(@AdminBody() b: DecodedBody) {
    return this.entities.create('services', b.body, b.fromForm);
  }

  @Get(':service')
  get(@Param('service') s: string) {
    return this.entities.get('services', s);
  }

  @Patch(':service')
  update(@Param('service') s: string, @AdminBody() b: DecodedBody) {
    return this.entities.update('services', s, b.body, b.fromForm);
  }

  @Put(':service')
  @HttpCode(200)
  upsert(@Param('service') s: string, @AdminBody() b: DecodedBody) {
    return this.entities.upsert('services', s, b.body, b.fromForm);
  }

  @Delete(':service')
  @HttpCode(204)
  async remove(@Param('service') s: string) {
    await this.entities.remove('services', s);
  }

  @Get(':service/routes')
  async listRoutes(@Param('service') s: string, @Query() query: Record<string, unknown>) {
    const p = pageArgs(query);
    const page = await this.entities.list('routes', p, parentOf(s));
    return listBody(`/services/${encodeURIComponent(s)}/routes`, page, p.size, p.sizeGiven);
  }

  @Post(':service/routes')
  createRoute(@Param('service') s: string, @AdminBody() b: DecodedBody) {
    return this.entities.create('routes', b.body, b.fromForm, parentOf(s));
  }

  @Get(':service/routes/:route')
  getRoute(@Param('service') s: string, @Param('route') r: string) {
    return this.entities.get('routes', r, parentOf(s));
  }

  @Patch(':service/routes/:route')
  updateRoute(@Param('service') s: string, @Param('route') r: string, @AdminBody() b: DecodedBody) {
    return this.entities.update('routes', r, b.body, b.fromForm, parentOf(s));
  }

  @Put(':service/routes/:route')
  @HttpCode(200)
  upsertRoute(@Param('service') s: string, @Param('route') r: string, @AdminBody() b: DecodedBody) {
    return this.entities.upsert('routes', r, b.body, b.fromForm, parentOf(s));
  }

  @Delete(':service/routes/:route')
  @HttpCode(204)
  async removeRoute(@Param('service') s: string, @Param('route') r: string) {
    await this.entities.remove('routes', r, parentOf(s));
  }
}
