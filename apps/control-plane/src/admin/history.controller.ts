// Config history and rollback (beyond Kong's open-source Admin API).
import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ArchwayError, ErrorCodes } from '@archway/schema';
import { SnapshotScheduler } from '../snapshots/snapshot-scheduler';
import { ConfigHistory } from '../store/history';
import { pageArgs } from './arguments-decoder';
import { currentActor } from './request-context';

function versionParam(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new ArchwayError(ErrorCodes.SCHEMA_VIOLATION, `schema violation (version: expected a whole number, got '${raw}')`, { version: 'expected a whole number' });
  return Number(raw);
}

@Controller('config')
export class HistoryController {
  constructor(
    @Inject(ConfigHistory) private readonly history: ConfigHistory,
    @Inject(SnapshotScheduler) private readonly snapshots: SnapshotScheduler,
  ) {}

  @Get('versions')
  async versions(@Query() query: Record<string, unknown>) {
    const { size, offset } = pageArgs(query);
    const before = offset !== undefined && /^\d+$/.test(offset) ? Number(offset) : undefined;
    const data = await this.history.list(size, before);
    const last = data[data.length - 1];
    if (data.length < size || !last) return { data, next: null };
    return { data, offset: String(last.version), next: `/config/versions?offset=${last.version}&size=${size}` };
  }

  @Get('versions/:v/diff')
  async diff(@Param('v') v: string) {
    const version = versionParam(v);
    return { version, changes: await this.history.diff(version) };
  }

  @Post('rollback/:v')
  @HttpCode(201)
  async rollback(@Param('v') v: string) {
    const target = versionParam(v);
    const version = await this.history.rollback(target, currentActor());
    if (version !== null) this.snapshots.trigger(version);
    return { rolled_back_to: target, version };
  }
}
