// request-tag's handler: the config is compiled once per snapshot in `configure`; `access` sets the
// upstream header and remembers the value in ctx.shared; `headerFilter` echoes it to the client.
import type { PluginHandler } from '@archway/pipeline';
import { requestTagSchema } from './schema';

/** the per-request slot other plugins (and our header filter) read the tag from */
export const REQUEST_TAG = 'request-tag';

interface RequestTagState {
  /** lower-case, as ctx.headers and ctx.responseHeaders keys are */
  header: string;
  tag: string;
  override: boolean;
  withConsumer: boolean;
  echo: boolean;
}

export const requestTagHandler: PluginHandler<RequestTagState> = {
  name: requestTagSchema.name,
  priority: requestTagSchema.priority,
  version: requestTagSchema.version,
  // the schema filled every default: no field here is missing or of the wrong type
  configure(config) {
    return {
      header: (config.header_name as string).toLowerCase(),
      tag: config.tag as string,
      override: config.override as boolean,
      withConsumer: config.with_consumer as boolean,
      echo: config.echo_downstream as boolean,
    };
  },
  access(ctx, s) {
    const sent = ctx.header(s.header);
    let value = sent !== undefined && !s.override ? sent : s.tag;
    const consumer = ctx.consumer;
    if (s.withConsumer && consumer) value += `; consumer=${consumer.username ?? consumer.id}`;
    ctx.setHeader(s.header, value);
    ctx.shared.set(REQUEST_TAG, value);
  },
  headerFilter(ctx, s) {
    if (!s.echo) return;
    const value = ctx.shared.get(REQUEST_TAG);
    // an exit by an earlier plugin (a 401, say) skipped our access phase: nothing to echo
    if (typeof value === 'string') ctx.responseHeaders[s.header] = value;
  },
};
