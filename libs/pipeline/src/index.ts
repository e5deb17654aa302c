// The plugin SDK: the handler contract, the per-request context, chain compilation with Kong's
// precedence, and the phase runner.
export { PHASES, type Phase, type PluginHandler, type ConfigIndex, type IndexChanges, type ConfigureEnv, type PhaseResult, type PluginLogger } from './plugin-handler';
export type { NodeCounters, NodeState } from './node-state';
export { PluginContext, type ConsumerRef, type CredentialRef, type ExitResponse, type UpstreamOverride, type UpstreamTry } from './plugin-context';
export { LayeredMap } from './layered-map';
export { compileChains, compileChainsSteps, ConfigIndexCache, PluginUnavailableError, type Chain, type ChainSet, type Step, type CompileChainsInput } from './chains';
export { runRequestPhases, runRequestPhasesEager, runHeaderFilter, runHeaderFilterEager, runBodyFilter, runLog, PluginError } from './run-phases';
