// The canonical encoding of a config: both planes hash exactly these bytes, so a data plane can prove
// it applied what the control plane built. Keys sorted, entities sorted by id, no insignificant space.
import { createHash } from 'node:crypto';
import { runSteps, sortSteps, type Steps } from './steps';
import type { ConfigSet, Snapshot } from './types';

/**
 * Every collection of a config, parents before children. The hash always covers all of them (a missing
 * one counts as empty), so a config's identity does not depend on which empty lists were spelled out.
 */
export const CONFIG_COLLECTIONS = [
  'certificates',
  'ca_certificates',
  'snis',
  'services',
  'routes',
  'consumers',
  'upstreams',
  'targets',
  'plugins',
  'keyauth_credentials',
  'basicauth_credentials',
  'jwt_secrets',
  'acls',
] as const satisfies readonly (keyof ConfigSet)[];

export type ConfigCollection = (typeof CONFIG_COLLECTIONS)[number];

// Numbers are written as JavaScript writes them (JSON.stringify: shortest round-trip form, so 60 and
// 60.0 are both `60`, 0.5 is `0.5`); validated configs hold only finite numbers.
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

/** The canonical JSON of `config` (see docs/sync-protocol.md); collections not in the set count as empty. */
export function canonicalConfig(config: Partial<ConfigSet>): string {
  const sorted: Record<string, unknown> = {};
  for (const key of CONFIG_COLLECTIONS) {
    const list = (config[key] ?? []) as { id: string }[];
    sorted[key] = [...list].sort(byId);
  }
  return canonicalJson(sorted);
}

// The collections in the canonical (sorted-key) order of the top-level object.
const SORTED_COLLECTIONS: readonly ConfigCollection[] = [...CONFIG_COLLECTIONS].sort();
/** hash.update() is a native call: feed it text in pieces of about this many characters */
const HASH_CHUNK = 64 * 1024;

/**
 * configHash, one entity per step: the same bytes as canonicalConfig, fed to SHA-256 piece by piece,
 * so a data plane can hash a large config between requests.
 */
export function* configHashSteps(
  config: Partial<ConfigSet>,
  /** told each entity's canonical JSON as it is hashed (a data plane remembers them: snapshot-check.ts) */
  onEntity?: (kind: ConfigCollection, entity: object, canonical: string) => void,
  /**
   * Canonical JSON already computed, by entity object: looked up before encoding an entity and filled
   * with what is encoded. For callers that keep unchanged entities as the same (never mutated) objects
   * from one config to the next (the control plane's incremental snapshot builds).
   */
  memo?: CanonicalMemo,
): Steps<string> {
  const hash = createHash('sha256');
  let text = '{';
  for (let k = 0; k < SORTED_COLLECTIONS.length; k++) {
    const key = SORTED_COLLECTIONS[k];
    text += `${k ? ',' : ''}${JSON.stringify(key)}:[`;
    const list = yield* sortSteps((config[key] ?? []) as { id: string }[], byId);
    for (let i = 0; i < list.length; i++) {
      let json = memo?.get(list[i]);
      if (json === undefined) {
        json = canonicalJson(list[i]);
        memo?.set(list[i], json);
      }
      onEntity?.(key, list[i], json);
      text += (i ? ',' : '') + json;
      if (text.length >= HASH_CHUNK) {
        hash.update(text);
        text = '';
      }
      yield;
    }
    text += ']';
  }
  hash.update(`${text}}`);
  return hash.digest('hex');
}

/** Each entity's canonical JSON, by entity object (see configHashSteps). */
export type CanonicalMemo = WeakMap<object, string>;

export function configHash(config: Partial<ConfigSet>, memo?: CanonicalMemo): string {
  return runSteps(configHashSteps(config, undefined, memo));
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
  return {
    services: [],
    routes: [],
    consumers: [],
    plugins: [],
    upstreams: [],
    targets: [],
    certificates: [],
    snis: [],
    ca_certificates: [],
    keyauth_credentials: [],
    basicauth_credentials: [],
    jwt_secrets: [],
    acls: [],
  };
}
