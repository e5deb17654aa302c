// Runs a chain's phases for one request. Sync plugins cost a function call (the eager runners return a
// promise only once a phase returns one); a plugin that throws is isolated: the proxy answers 500 with
// the request id and the error is logged, the process keeps serving.
import type { Chain, Step } from './chains';
import type { PluginContext } from './plugin-context';
import type { Phase, PhaseResult } from './plugin-handler';

export class PluginError extends Error {
  readonly code = 'ARCHWAY_PLUGIN_FAILED';
  constructor(
    readonly plugin: string,
    readonly phase: Phase,
    override readonly cause: unknown,
  ) {
    super(`plugin '${plugin}' failed in ${phase}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

async function runStep(step: Step, phase: 'rewrite' | 'access' | 'headerFilter' | 'log', ctx: PluginContext): Promise<void> {
  try {
    const result = step.handler[phase]!(ctx, step.state);
    if (result) await result;
  } catch (err) {
    throw new PluginError(step.plugin.name, phase, err);
  }
}

/**
 * Calls one step's phase: undefined when it finished synchronously, else the promise it returned
 * (rejecting with a PluginError). A synchronous failure throws the PluginError.
 */
function callStep(step: Step, phase: 'rewrite' | 'access' | 'headerFilter', ctx: PluginContext): Promise<void> | undefined {
  let result: PhaseResult;
  try {
    result = step.handler[phase]!(ctx, step.state);
  } catch (err) {
    throw new PluginError(step.plugin.name, phase, err);
  }
  if (!result) return undefined;
  return Promise.resolve(result).then(undefined, (err: unknown) => {
    throw new PluginError(step.plugin.name, phase, err);
  });
}

/**
 * Where one request is in its rewrite and access phases, kept across a plugin that returned a
 * promise. Most plugins are synchronous: the phases then run to the end without a promise.
 */
class RequestPhaseRun {
  /** the chain the later phases use (the consumer's, once an authentication plugin identified one) */
  chain: Chain;
  #list: readonly Step[] | null;
  #i = 0;
  #phase: 'rewrite' | 'access';

  constructor(
    chain: Chain,
    readonly ctx: PluginContext,
  ) {
    this.chain = chain;
    this.#list = chain.rewrite ?? chain.access;
    this.#phase = chain.rewrite ? 'rewrite' : 'access';
  }

  /** Runs steps until the end or an exit; once a step returns a promise, the rest runs after it. */
  run(): Chain | Promise<Chain> {
    const ctx = this.ctx;
    for (;;) {
      const list = this.#list;
      if (list === null) return this.chain;
      if (this.#i >= list.length) {
        if (this.#phase === 'access') return this.chain;
        this.#phase = 'access';
        this.#list = this.chain.access;
        this.#i = 0;
        continue;
      }
      const step = list[this.#i++];
      const consumerBefore = ctx.consumer;
      const pending = callStep(step, this.#phase, ctx);
      if (pending !== undefined) return this.#resume(pending, step, consumerBefore);
      if (this.#after(step, consumerBefore)) return this.chain;
    }
  }

  async #resume(pending: Promise<void>, step: Step, consumerBefore: PluginContext['consumer']): Promise<Chain> {
    await pending;
    if (this.#after(step, consumerBefore)) return this.chain;
    return this.run();
  }

  /**
   * After a step: true when a plugin exited (the phases stop). When an authentication plugin
   * identified a consumer, access continues in the consumer-specific chain with its plugins of lower
   * priority than the one that authenticated.
   */
  #after(step: Step, consumerBefore: PluginContext['consumer']): boolean {
    const ctx = this.ctx;
    if (ctx.exitResponse) return true;
    if (this.#phase === 'access' && ctx.consumer && ctx.consumer !== consumerBefore) {
      const next = this.chain.forConsumer(ctx.consumer.id);
      if (next !== this.chain) {
        this.chain = next;
        // continue after the plugin that just ran, in the consumer's chain
        const priority = step.handler.priority;
        this.#list = (next.access ?? []).filter((s) => s.handler.priority < priority || (s.handler.priority === priority && s.plugin.name > step.plugin.name));
        this.#i = 0;
      }
    }
    return false;
  }
}

/**
 * rewrite, then access, in priority order, until a plugin exits. When an authentication plugin
 * identifies a consumer, the rest of access runs with the consumer-specific chain (its plugins of
 * lower priority than the one that authenticated). Returns the chain the later phases must use.
 */
export async function runRequestPhases(chain: Chain, ctx: PluginContext): Promise<Chain> {
  return runRequestPhasesEager(chain, ctx);
}

/**
 * runRequestPhases for the proxy's hot path: synchronous as long as every plugin is (no promise, no
 * microtask), a promise of the chain once one returns a promise. A plugin failing synchronously
 * throws its PluginError.
 */
export function runRequestPhasesEager(chain: Chain, ctx: PluginContext): Chain | Promise<Chain> {
  if (chain.rewrite === null && chain.access === null) return chain;
  return new RequestPhaseRun(chain, ctx).run();
}

export async function runHeaderFilter(chain: Chain, ctx: PluginContext): Promise<void> {
  return runHeaderFilterEager(chain, ctx);
}

/**
 * runHeaderFilter for the proxy's hot path: undefined when every plugin finished synchronously (the
 * response head can go out at once), else a promise; a synchronous failure throws its PluginError.
 */
export function runHeaderFilterEager(chain: Chain, ctx: PluginContext): Promise<void> | undefined {
  const steps = chain.headerFilter;
  if (steps === null) return undefined;
  for (let i = 0; i < steps.length; i++) {
    const pending = callStep(steps[i], 'headerFilter', ctx);
    if (pending !== undefined) return i + 1 < steps.length ? pending.then(() => headerFilterFrom(steps, i + 1, ctx)) : pending;
  }
  return undefined;
}

async function headerFilterFrom(steps: readonly Step[], from: number, ctx: PluginContext): Promise<void> {
  for (let i = from; i < steps.length; i++) await callStep(steps[i], 'headerFilter', ctx);
}

export async function runBodyFilter(chain: Chain, ctx: PluginContext, body: Buffer): Promise<Buffer> {
  if (!chain.bodyFilter) return body;
  let out = body;
  for (const step of chain.bodyFilter) {
    try {
      out = await step.handler.bodyFilter!(ctx, step.state, out);
    } catch (err) {
      throw new PluginError(step.plugin.name, 'bodyFilter', err);
    }
  }
  return out;
}

/** After the response: every log plugin runs; one failing does not stop the others. */
export async function runLog(chain: Chain, ctx: PluginContext, onError: (err: PluginError) => void): Promise<void> {
  if (!chain.log) return;
  for (const step of chain.log) {
    try {
      await runStep(step, 'log', ctx);
    } catch (err) {
      onError(err as PluginError);
    }
  }
}
