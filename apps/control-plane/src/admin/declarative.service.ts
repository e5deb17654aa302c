// Declarative config on the Admin API: GET /config exports the whole config at one version in Kong's
// format; POST /config validates a whole file first (nothing is written if anything is wrong), then
// makes the stored config exactly the file's in one write: one new version, every change in the
// history, so a bad import is one rollback away.
import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import {
  DECLARATIVE_COLLECTIONS,
  DeclarativeConfigError,
  exportDeclarative,
  loadDeclarative,
  type DeclarativeDocument,
  type EntityName,
  type PluginLookup,
} from '@archway/schema';
import { SnapshotScheduler } from '../snapshots/snapshot-scheduler';
import { EntityStore, type WriteTx } from '../store/entity-store';
import { isEmptyPlan, planReplace, type Entity, type EntitySet, type ReplacePlan } from './declarative-plan';
import { currentActor } from './request-context';
import { PLUGIN_LOOKUP } from './tokens';

export interface ImportResult {
  /** the config already was the file's: nothing written */
  unchanged: boolean;
  /** the version written, null when unchanged */
  version: number | null;
  /** Kong's answer: every entity of the new config, by collection and id */
  entities: Partial<Record<EntityName, Record<string, Entity>>>;
}

const parseFailure = (why: string) =>
  new DeclarativeConfigError([{ path: [], where: '', message: `failed parsing declarative configuration: ${why}` }]);

/** YAML when this node has a YAML parser (the `yaml` package); JSON always. */
function parseConfigString(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (jsonError) {
    let yaml: { parse(s: string): unknown } | undefined;
    try {
      // optional: present in development installs only (not a declared dependency)
      yaml = require('yaml') as { parse(s: string): unknown };
    } catch {
      throw parseFailure(`${(jsonError as Error).message} (this node reads JSON only; send the file as JSON)`);
    }
    try {
      return yaml.parse(text);
    } catch (yamlError) {
      throw parseFailure((yamlError as Error).message);
    }
  }
}

/** Kong takes the file itself as the body, or as a string in `config` (`curl -F config=@kong.yml`). */
export function documentOf(body: Record<string, unknown>): unknown {
  const rest = { ...body };
  delete rest.check_hash;
  delete rest.flatten_errors;
  if ('_format_version' in rest) return rest;
  if (typeof rest.config === 'string') return parseConfigString(rest.config);
  if (rest.config !== null && typeof rest.config === 'object') return rest.config;
  throw new BadRequestException('expected a declarative configuration');
}

function byId(result: EntitySet): ImportResult['entities'] {
  const out: ImportResult['entities'] = {};
  for (const kind of DECLARATIVE_COLLECTIONS)
    if (result[kind]?.length) out[kind] = Object.fromEntries(result[kind].map((e) => [e.id, e]));
  return out;
}

async function readAll(tx: WriteTx): Promise<EntitySet> {
  const out = {} as EntitySet;
  for (const kind of DECLARATIVE_COLLECTIONS) {
    const rows = (await tx.raw(`SELECT data FROM "${kind}" ORDER BY id`)) as { data: Entity }[];
    out[kind] = rows.map((r) => r.data);
  }
  return out;
}

async function applyPlan(tx: WriteTx, plan: ReplacePlan): Promise<void> {
  // a delete also takes the children its schema cascades to; those already gone answer false
  await tx.deleteInOrder(plan.deletes);
  for (const w of plan.writes) await (w.op === 'insert' ? tx.insert(w.kind, w.entity) : tx.update(w.kind, w.entity));
}

@Injectable()
export class DeclarativeService {
  constructor(
    @Inject(EntityStore) private readonly store: EntityStore,
    @Inject(SnapshotScheduler) private readonly snapshots: SnapshotScheduler,
    @Inject(PLUGIN_LOOKUP) private readonly plugins: PluginLookup,
  ) {}

  /** The whole config at one version, nested (routes under services, …) or flat. */
  async export(nested: boolean): Promise<DeclarativeDocument> {
    const { entities } = await this.store.readConfig();
    return exportDeclarative(entities, { nested });
  }

  /** Validates the whole document, then replaces the config with it in one write (or none, if it is the same). */
  async import(body: Record<string, unknown>): Promise<ImportResult> {
    const { entities, errors } = loadDeclarative(documentOf(body), { plugins: this.plugins });
    if (errors.length) throw new DeclarativeConfigError(errors);
    const { result, version } = await this.store.write(async (tx) => {
      // the writers' lock first, so no other write lands between reading the config and replacing it
      await tx.raw('SELECT version FROM config_version WHERE id = 1 FOR UPDATE');
      const plan = planReplace(await readAll(tx), entities as EntitySet);
      const unchanged = isEmptyPlan(plan);
      if (!unchanged) await applyPlan(tx, plan);
      return { result: { unchanged, entities: byId(plan.result) }, changed: !unchanged };
    }, currentActor());
    if (version !== null) this.snapshots.trigger(version);
    return { ...result, version };
  }
}
