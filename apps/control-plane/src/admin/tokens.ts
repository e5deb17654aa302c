// Injection tokens for what the control plane hands the Admin API at start-up.
export const NODE_INFO = Symbol('NODE_INFO');
export const DATA_PLANE_DIRECTORY = Symbol('DATA_PLANE_DIRECTORY');
export const LOGGER = Symbol('LOGGER');

export interface NodeInfo {
  nodeId: string;
  hostname: string;
  version: string;
  /** settings shown under `configuration` (never secrets) */
  configuration: Record<string, unknown>;
}

/** What the clustering server knows about connected data planes. */
export interface DataPlaneDirectory {
  dataPlanes(): object[];
}

/** Finds a plugin's schema by name (the bundled plugins). */
export const PLUGIN_LOOKUP = Symbol('PLUGIN_LOOKUP');
