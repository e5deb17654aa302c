// Validates a whole config set as a data plane receives it: every entity against its schema (plugins
// also against their plugin's schema), every reference resolvable and every unique key unique. A data
// plane trusts nothing it did not validate; the errors say which entity, and all of them are collected.
import { CONFIG_COLLECTIONS, emptyConfig, type ConfigCollection } from './canonical';
import { checkReferences, checkUniques, type Collections, type StoredEntity } from './config-integrity';
import { caCertificateSchema } from './entities/ca-certificate';
import { isCaCertificate } from './entities/pem';
import { validatePlugin, type PluginLookup } from './entities/plugin';
import { entitySchema } from './entities/registry';
import { ArchwayError } from './errors';
import { validateEntity, type EntitySchema } from './entity';
import { runSteps, type Steps } from './steps';
import type { ConfigSet } from './types';

const CA_EXPIRED = 'certificate expired, "Not After" time is in the past';
const NOT_A_CA = 'certificate does not appear to be a CA because it is missing the "CA" basic constraint';

/**
 * A CA certificate that was valid when written may have expired since. That is an operational fact
 * (TLS verification against it fails), not a malformed config: a config must not turn invalid with the
 * passing of time, or the control plane could no longer publish and every data plane would NACK.
 */
const storedCaCertificateSchema: EntitySchema = {
  ...caCertificateSchema,
  check(ca) {
    const errors = caCertificateSchema.check?.(ca) ?? null;
    const messages = errors?.['@entity'];
    if (!Array.isArray(messages) || messages[0] !== CA_EXPIRED) return errors;
    return isCaCertificate(ca.cert as string) ? null : { '@entity': [NOT_A_CA] };
  },
};

function schemaOf(kind: ConfigCollection): EntitySchema {
  return kind === 'ca_certificates' ? storedCaCertificateSchema : entitySchema(kind);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Re-validates one stored entity. Idempotent: a 'replace' of the entity by itself keeps its id and
 * timestamps, and `beforeStore` does not run again (a basic-auth password is stored hashed already).
 * Write-only (transient) fields are not part of a published entity: they are null here.
 */
export function validateStored(kind: ConfigCollection, raw: Record<string, unknown>, lookup: PluginLookup): StoredEntity {
  const schema = schemaOf(kind);
  const input = { ...raw };
  for (const field of schema.transient ?? []) input[field] = null;
  const opts = { existing: raw, now: raw.updated_at as number };
  if (kind === 'plugins') return validatePlugin(input, 'replace', lookup, opts) as unknown as StoredEntity;
  return validateEntity<StoredEntity>(schema, input, 'replace', opts);
}

/**
 * Lets a caller that validated an entity before (the control plane, across builds) hand back that
 * result: return the validated entity for `raw` when it is known to be unchanged, else undefined.
 * `validated` is told of every entity validated here.
 */
export interface ValidationMemo {
  known(kind: ConfigCollection, raw: Record<string, unknown>): StoredEntity | undefined;
  validated(kind: ConfigCollection, raw: Record<string, unknown>, entity: StoredEntity): void;
}

function* validateCollection(
  kind: ConfigCollection,
  list: unknown,
  lookup: PluginLookup,
  problems: string[],
  memo: ValidationMemo | undefined,
): Steps<StoredEntity[]> {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    problems.push(`${kind}: expected an array`);
    return [];
  }
  const seen = new Set<string>();
  const out: StoredEntity[] = [];
  for (const raw of list as unknown[]) {
    const label = isRecord(raw) && typeof raw.id === 'string' ? raw.id : '?';
    try {
      if (!isRecord(raw)) throw new Error('expected a record');
      let e = memo?.known(kind, raw);
      if (e === undefined) {
        e = validateStored(kind, raw, lookup);
        memo?.validated(kind, raw, e);
      }
      if (seen.has(e.id)) problems.push(`${kind} ${e.id}: duplicate id`);
      seen.add(e.id);
      out.push(e);
    } catch (err) {
      problems.push(`${kind} ${label}: ${err instanceof Error ? err.message : String(err)}`);
    }
    yield;
  }
  return out;
}

/**
 * Validates every collection of `config` (absent ones count as empty) and returns the validated set,
 * or throws one ArchwayError listing every problem. `lookup` resolves plugin names to their schemas
 * (the data plane and the control plane pass `pluginSchema` from @archway/plugins); a plugin it does
 * not know is a problem. Pure: no I/O, no clock (timestamps come from the entities).
 */
export function validateConfig(config: Partial<ConfigSet>, lookup: PluginLookup, memo?: ValidationMemo): ConfigSet {
  return runSteps(validateConfigSteps(config, lookup, memo));
}

/** validateConfig, one entity per step (see steps.ts): a data plane validates a large config between requests. */
export function* validateConfigSteps(config: Partial<ConfigSet>, lookup: PluginLookup, memo?: ValidationMemo): Steps<ConfigSet> {
  const problems: string[] = [];
  const source = (isRecord(config) ? config : {}) as Record<string, unknown>;
  if (!isRecord(config)) problems.push('config: expected an object');
  const out = emptyConfig() as unknown as Collections;
  for (const kind of CONFIG_COLLECTIONS) out[kind] = yield* validateCollection(kind, source[kind], lookup, problems, memo);
  yield* checkUniques(out, problems);
  yield* checkReferences(out, problems);
  if (problems.length) throw new ArchwayError(2, `invalid config: ${problems.join('; ')}`);
  return out as unknown as ConfigSet;
}
