// Kong's plugin queue settings (kong/tools/queue_schema.lua, typedefs.queue), for batching log plugins.
import type { FieldDef } from '@archway/schema';

export const queueConfig: Extract<FieldDef, { type: 'record' }> = {
  type: 'record',
  fields: {
    /** entries sent in one batch */
    max_batch_size: { type: 'integer', default: 1, between: [1, 1000000] },
    /** seconds to wait for more entries before sending a partial batch */
    max_coalescing_delay: { type: 'number', default: 1, between: [0, 3600] },
    /** entries held before the oldest are dropped */
    max_entries: { type: 'integer', default: 10000, between: [1, 1000000] },
    /** bytes held (string entries only); unset = no byte limit */
    max_bytes: { type: 'integer' },
    /** seconds a batch is retried before it is dropped */
    max_retry_time: { type: 'number', default: 60 },
    initial_retry_delay: { type: 'number', default: 0.01, between: [0.001, 1000000] },
    max_retry_delay: { type: 'number', default: 60, between: [0.001, 1000000] },
    /** 1 = one batch in flight; -1 = no limit (no queueing) */
    concurrency_limit: { type: 'integer', default: 1, oneOf: [-1, 1] },
  },
};
