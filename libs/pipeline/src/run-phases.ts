// Runs a chain's phases for one request. Sync plugins cost a function call (a promise is awaited only
// when a phase returns one); a plugin that throws is isolated: the proxy answers 500 with the request
// id and the error is logged, the process keeps serving.
import type { Chain, Step } from './chains';
import type { PluginContext } from './plugin-context';
import type { Phase } from './plugin-handler';

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
 * rewrite, then access, in priority order, until a plugin exits. When an authentication plugin
 * identifies a consumer, the rest of access runs with the consumer-specific chain (its plugins of
 * lower priority than the one that authenticated). Returns the chain the later phases must use.
 */
export async function runRequestPhases(chain: Chain, ctx: PluginContext): Promise<Chain> {
  if (chain.rewrite) for (const step of chain.rewrite) {
    await runStep(step, 'rewrite', ctx);
    if (ctx.exitResponse) return chain;
  }
  const steps = chain.access;
  if (!steps) return chain;
  let current = chain;
  let list = steps;
  for (let i = 0; i < list.length; i++) {
    const step = list[i];
    const consumerBefore = ctx.consumer;
    await runStep(step, 'access', ctx);
    if (ctx.exitResponse) return current;
    if (ctx.consumer && ctx.consumer !== consumerBefore) {
      const next = current.forConsumer(ctx.consumer.id);
      if (next !== current) {
        current = next;
        // continue after the plugin that just ran, in the consumer's chain
        const priority = step.handler.priority;
        const rest = (next.access ?? []).filter((s) => s.handler.priority < priority || (s.handler.priority === priority && s.plugin.name > step.plugin.name));
        list = rest;
        i = -1;
      }
    }
  }
  return current;
}

export async function runHeaderFilter(chain: Chain, ctx: PluginContext): Promise<void> {
  if (chain.headerFilter) for (const step of chain.headerFilter) await runStep(step, 'headerFilter', ctx);
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
