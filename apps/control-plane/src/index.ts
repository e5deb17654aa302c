export { startControlPlane, runControlPlane, type ControlPlane } from './main';
export { openDatabase } from './store/database';
