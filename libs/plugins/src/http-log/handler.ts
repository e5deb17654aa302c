// http-log (kong/plugins/http-log/handler.lua, Kong 3.9): each request's Kong log record, JSON-encoded
// in the log phase, goes onto a bounded queue that batches and sends it to `http_endpoint` with
// retries. Instances with the same config share one queue; a replaced config's queue sends what it
// holds without waiting for batches to fill, then closes its connections.
import type { PluginHandler } from '@archway/pipeline';
import { logRecord } from '../shared/log-record';
import { LogQueue, queueSettings } from './log-queue';
import { httpLogSchema } from './schema';
import { HttpLogSender } from './sender';

interface HttpLogState {
  queue: LogQueue;
  sender: HttpLogSender;
}

export const httpLogHandler: PluginHandler<HttpLogState> = {
  name: httpLogSchema.name,
  priority: httpLogSchema.priority,
  version: httpLogSchema.version,
  configure(config, env) {
    return env.shared(`http-log ${JSON.stringify(config)}`, () => {
      const settings = queueSettings((config.queue as Record<string, unknown> | null) ?? {});
      const sender = new HttpLogSender({
        endpoint: config.http_endpoint as string,
        method: (config.method as string | null) ?? 'POST',
        contentType: (config.content_type as string | null) ?? 'application/json',
        timeout: (config.timeout as number | null) ?? 10000,
        keepalive: (config.keepalive as number | null) ?? 60000,
        headers: (config.headers as Record<string, string> | null) ?? null,
        batched: settings.maxBatchSize > 1,
      });
      // Kong names queues after the plugin; the endpoint says which one a log line is about
      const name = `http-log ${new URL(config.http_endpoint as string).host}`;
      return { sender, queue: new LogQueue(name, settings, sender.send, env.logger) };
    });
  },
  log(ctx, s) {
    s.queue.enqueue(JSON.stringify(logRecord(ctx)));
  },
  async dispose(s) {
    await s.queue.close();
    await s.sender.close();
  },
};
