// State shared by every process of one data-plane node, as Kong plugins share an nginx lua_shared_dict
// across a node's workers. With ARCHWAY_WORKERS = 1 the node is one process and a plugin keeps such
// state in memory (ConfigureEnv.node is null); with several proxy workers the data plane's primary owns
// it and the workers reach it over IPC, so operations may answer asynchronously.

/**
 * Fixed-window counters. A window is named by a series (a small integer: e.g. rate-limiting's period)
 * and its start; when a later window of a series starts, the earlier one is dropped whole.
 */
export interface NodeCounters {
  /**
   * Atomically, for `key`: reads its count in each window i (`series[i]`, starting at `starts[i]`) and,
   * only when every count is below `limits[i]`, adds one to each. Returns the counts before this call;
   * the caller admitted the hit iff none had reached its limit. A promise when the counters live in
   * another process; it rejects when they cannot be reached. `into`, when given, may be filled and
   * returned instead of a new array (counters answering synchronously do so: no array per call).
   */
  take(key: string, series: readonly number[], starts: readonly number[], limits: readonly number[], into?: number[]): number[] | Promise<number[]>;
}

/** What the data plane shares between its processes; handed to plugins at configure time. */
export interface NodeState {
  readonly counters: NodeCounters;
}
