// version_info on the wire is a decimal string (xDS style); "" means "serving nothing yet".

export function formatVersionInfo(version: number | null | undefined): string {
  return version === null || version === undefined ? '' : String(version);
}

/** The version a `version_info` names, or null for "" or anything that is not a non-negative integer. */
export function parseVersionInfo(v: string): number | null {
  if (!/^\d+$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}
