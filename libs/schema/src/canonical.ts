// The canonical encoding of a config: both planes hash exactly these bytes, so a data plane can prove
// it applied what the control plane built. Keys sorted, entities sorted by id, no insignificant space.
import { createHash } from 'node:crypto';
import type { ConfigSet, Snapshot } from './types';

function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value as object).sort();
    const parts: string[] = [];
    for (const k of keys) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value);
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function canonicalConfig(config: ConfigSet): string {
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(config).sort()) {
    const list = (config as unknown as Record<string, { id: string }[]>)[key];
    sorted[key] = [...list].sort(byId);
  }
  return canonicalJson(sorted);
}

export function configHash(config: ConfigSet): string {
  return createHash('sha256').update(canonicalConfig(config)).digest('hex');
}

/**
 * An entity's HTTP entity tag (the Admin API's ETag, without quotes): the sha256 of its canonical JSON,
 * so the same entity always has the same tag whatever the key order it was built in.
 */
export function entityEtag(entity: object): string {
  return createHash('sha256').update(canonicalJson(entity)).digest('hex');
}

export function makeSnapshot(version: number, config: ConfigSet): Snapshot {
  return Object.freeze({ version, hash: configHash(config), config });
}

export function emptyConfig(): ConfigSet {
  return { services: [], routes: [] };
}
