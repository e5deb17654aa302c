// The data plane: proxy + status listeners fed by the sync client, with a last-known-good disk cache.
export { startDataPlane, DataPlaneStartError, type DataPlane } from './main';
