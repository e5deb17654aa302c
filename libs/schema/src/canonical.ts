// The canonical encoding of a config and its hash: both planes hash exactly these bytes, so a data plane
// can prove it applied what the control plane built. Each entity is encoded alone (keys sorted, no
// insignificant space) and digested; the config hash is built from the sum of the digests, so it does
// not depend on the order of entities and a delta (docs/sync-protocol.md) updates it in O(changes).
import { createHash } from 'node:crypto';
import type { Steps } from './steps';
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

/**
 * One entity's digest: the SHA-256 of `<collection>:<canonical JSON>`, read as a 256-bit big-endian
 * unsigned integer. The config hash is built from these alone (configHashFromSum), so a data plane
 * that holds the digests of its config updates the hash of a changed config in O(changed entities).
 */
export function entityDigest(kind: ConfigCollection, canonical: string): bigint {
  return BigInt(`0x${createHash('sha256').update(`${kind}:${canonical}`).digest('hex')}`);
}

/** The canonical JSON of one entity (keys sorted, no whitespace). */
export function canonicalEntity(entity: object): string {
  return canonicalJson(entity);
}

/**
 * Entity digests remembered by object: a snapshot's entities are not changed once built, and a builder
 * that reuses the validated objects of unchanged rows (the control plane's) gets them for free.
 */
export class EntityDigests {
  readonly #digests = new WeakMap<object, bigint>();

  of(kind: ConfigCollection, entity: object): bigint {
    let d = this.#digests.get(entity);
    if (d === undefined) {
      d = entityDigest(kind, canonicalEntity(entity));
      this.#digests.set(entity, d);
    }
    return d;
  }
}

const MOD = 1n << 256n;

/** (a + b) mod 2^256: how digests add up (b may be negative: a digest taken out). */
export function addDigest(sum: bigint, digest: bigint): bigint {
  const r = (sum + digest) % MOD;
  return r < 0n ? r + MOD : r;
}

/** The config hash from the sum (mod 2^256) of its entities' digests: SHA-256 of the sum's 32 big-endian bytes, hex. */
export function configHashFromSum(sum: bigint): string {
  return createHash('sha256').update(Buffer.from(sum.toString(16).padStart(64, '0'), 'hex')).digest('hex');
}

/**
 * configHash, one entity per step (a data plane hashes a large config between requests). The hash is
 * the SHA-256 of the sum, mod 2^256, of every entity's digest (entityDigest): it does not depend on
 * the order of entities, and a change of one entity changes it by that entity's digests alone (see
 * docs/sync-protocol.md, "The canonical hash").
 */
export function* configHashSteps(
  config: Partial<ConfigSet>,
  /** told each entity's canonical JSON and digest as it is hashed (a data plane remembers them: snapshot-check.ts) */
  onEntity?: (kind: ConfigCollection, entity: object, canonical: string, digest: bigint) => void,
): Steps<string> {
  let sum = 0n;
  for (const key of CONFIG_COLLECTIONS) {
    const list = (config[key] ?? []) as object[];
    for (let i = 0; i < list.length; i++) {
      const json = canonicalJson(list[i]);
      const digest = entityDigest(key, json);
      onEntity?.(key, list[i], json, digest);
      sum += digest;
      yield;
    }
  }
  return configHashFromSum(sum % MOD);
}

/**
 * The sum (mod 2^256) of every entity's digest, from which the config hash is made (configHashFromSum):
 * a builder that keeps it updates it by the digests of what changed (addDigest) instead of summing again.
 */
export function configDigestSum(config: Partial<ConfigSet>, digests?: EntityDigests): bigint {
  let sum = 0n;
  for (const key of CONFIG_COLLECTIONS) {
    const list = (config[key] ?? []) as object[];
    for (let i = 0; i < list.length; i++) sum += digests ? digests.of(key, list[i]) : entityDigest(key, canonicalJson(list[i]));
  }
  return sum % MOD;
}

/** The canonical hash of `config`; with `digests`, entities hashed before (the same objects) are not hashed again. */
export function configHash(config: Partial<ConfigSet>, digests?: EntityDigests): string {
  return configHashFromSum(configDigestSum(config, digests));
}

/**
 * An entity's HTTP entity tag (the Admin API's ETag, without quotes): the sha256 of its canonical JSON,
 * so the same entity always has the same tag whatever the key order it was built in.
 */
export function entityEtag(entity: object): string {
  return createHash('sha256').update(canonicalJson(entity)).digest('hex');
}

/** A frozen snapshot of `config`, hashed (see configHash for `digests`). */
export function makeSnapshot(version: number, config: ConfigSet, digests?: EntityDigests): Snapshot {
  return Object.freeze({ version, hash: configHash(config, digests), config });
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
