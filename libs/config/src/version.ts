/** Archway's release version; a spec keeps it equal to the root package.json's. */
export const ARCHWAY_VERSION = '0.1.0';
