// correlation-id (kong/plugins/correlation-id/handler.lua, Kong 3.9): gives each request an id in
// `header_name` (unless the client sent one) for the upstream, and echoes it to the client when
// echo_downstream is on.
import { randomUUID } from 'node:crypto';
import type { PluginHandler } from '@archway/pipeline';
import { correlationIdSchema } from './schema';

/** the id this request got, for header_filter and log plugins (Kong's serialized correlation_id) */
export const CORRELATION_ID = 'correlation_id';

/** Kong's uuid#counter: one uuid per worker (here: per process) and a counter. */
const processUuid = randomUUID();
let counter = 0;

const GENERATORS: Readonly<Record<string, () => string>> = {
  uuid: () => randomUUID(),
  'uuid#counter': () => `${processUuid}#${++counter}`,
  // Kong's tracker is server_addr-server_port-pid-connection-connection_requests-now; Archway has
  // no per-connection counters here, so it is pid-counter-now
  tracker: () => `${process.pid}-${++counter}-${(Date.now() / 1000).toFixed(3)}`,
};

interface CorrelationIdState {
  /** lower-cased; null disables the plugin */
  headerName: string | null;
  generate: () => string;
  echoDownstream: boolean;
}

export const correlationIdHandler: PluginHandler<CorrelationIdState> = {
  name: correlationIdSchema.name,
  priority: correlationIdSchema.priority,
  version: correlationIdSchema.version,
  configure(config) {
    const headerName = config.header_name as string | null;
    return {
      headerName: headerName ? headerName.toLowerCase() : null,
      generate: GENERATORS[(config.generator as string | null) ?? 'uuid#counter'],
      echoDownstream: (config.echo_downstream as boolean | null) ?? false,
    };
  },
  access(ctx, s) {
    if (!s.headerName) return;
    let id = ctx.header(s.headerName);
    if (!id) {
      id = s.generate();
      ctx.setHeader(s.headerName, id);
    }
    ctx.shared.set(CORRELATION_ID, id);
  },
  headerFilter(ctx, s) {
    if (!s.echoDownstream || !s.headerName) return;
    const id = ctx.shared.get(CORRELATION_ID);
    if (typeof id === 'string') ctx.responseHeaders[s.headerName] = id;
  },
};
