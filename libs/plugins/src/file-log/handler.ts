// file-log (kong/plugins/file-log/handler.lua, Kong 3.9): appends each request's Kong log record as one
// JSON line to `path`. The file is opened once and kept open (per path, for the whole process);
// `reopen` closes and reopens it for each write so rotated files are picked up.
import type { PluginHandler } from '@archway/pipeline';
import { logRecord } from '../shared/log-record';
import { acquireSink, releaseSink, type FileSink } from './file-sink';
import { fileLogSchema } from './schema';

interface FileLogState {
  sink: FileSink;
  reopen: boolean;
}

export const fileLogHandler: PluginHandler<FileLogState> = {
  name: fileLogSchema.name,
  priority: fileLogSchema.priority,
  version: fileLogSchema.version,
  configure(config, env) {
    return { sink: acquireSink(config.path as string, env.logger), reopen: config.reopen === true };
  },
  log(ctx, s) {
    s.sink.write(`${JSON.stringify(logRecord(ctx))}\n`, s.reopen);
  },
  dispose(s) {
    return releaseSink(s.sink);
  },
};
