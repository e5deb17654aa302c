// Kong's answer to an invalid declarative file (kong/db/errors.lua: declarative_config and
// declarative_config_flattened): code 14 "invalid declarative configuration", `fields` nested as the
// file is (`fields.services[2].routes[0].paths`), and `flattened_errors`, one entry per entity with
// every error of that entity.
import { ArchwayError, ErrorCodes, type KongErrorBody } from '../errors';
import { isUuid } from '../fields';
import type { DeclarativeError, PathSegment } from './model';

type Tree = Record<string, unknown> | unknown[];

export interface FlattenedEntityError {
  entity_type: string;
  entity_id?: string;
  entity_name?: string;
  entity_tags?: string[];
  entity: Record<string, unknown>;
  errors: ({ type: 'field'; field: string; message: string } | { type: 'entity'; message: string })[];
}

export type DeclarativeErrorBody = KongErrorBody & { flattened_errors: FlattenedEntityError[] };

function child(container: Tree, seg: PathSegment, next: PathSegment | undefined): Tree {
  const c = container as Record<string, unknown>;
  const existing = c[seg as string];
  if (existing !== null && typeof existing === 'object') return existing as Tree;
  const created: Tree = typeof next === 'number' ? [] : {};
  // a message already at this place stays, as the place's own (@entity) error
  if (typeof existing === 'string') (created as Record<string, unknown>)['@entity'] = [existing];
  c[seg as string] = created;
  return created;
}

function addMessage(container: Tree, key: PathSegment, message: string): void {
  const c = container as Record<string, unknown>;
  if (key === '@entity') return void ((c['@entity'] ??= []) as string[]).push(message);
  const existing = c[key as string];
  if (existing === undefined || existing === null) c[key as string] = message;
  else if (typeof existing === 'string') c[key as string] = [existing, message];
  else if (Array.isArray(existing) && existing.every((v) => typeof v === 'string')) existing.push(message);
  else (((existing as Record<string, unknown>)['@entity'] ??= []) as string[]).push(message);
}

/** Every problem placed where it is in the file; entity-wide ones under the entity's `@entity`. */
export function nestedErrorFields(problems: readonly DeclarativeError[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const p of problems) {
    if (p.path.length === 0) {
      addMessage(root, 'error', p.message);
      continue;
    }
    const wholeEntity = p.entity !== undefined && p.field === undefined;
    const steps = wholeEntity ? p.path : p.path.slice(0, -1);
    let container: Tree = root;
    steps.forEach((seg, i) => (container = child(container, seg, steps[i + 1] ?? (wholeEntity ? '@entity' : p.path[p.path.length - 1]))));
    if (wholeEntity) addMessage(container, '@entity', p.message);
    else addMessage(container, p.path[p.path.length - 1], p.message);
  }
  return root;
}

const singular = (kind: string) => (kind.endsWith('s') ? kind.slice(0, -1) : kind);

/** Kong's flattened_errors: one entry per entity that has errors. */
export function flattenedErrors(problems: readonly DeclarativeError[]): FlattenedEntityError[] {
  const byEntity = new Map<string, FlattenedEntityError>();
  for (const p of problems) {
    if (!p.entity) continue;
    const key = p.entity.path.join('\u0000');
    let entry = byEntity.get(key);
    if (!entry) {
      const { input, kind } = p.entity;
      entry = { entity_type: singular(kind), entity: input, errors: [] };
      if (isUuid(input.id)) entry.entity_id = input.id;
      if (typeof input.name === 'string' && input.name) entry.entity_name = input.name;
      if (Array.isArray(input.tags) && input.tags.every((t) => typeof t === 'string')) entry.entity_tags = input.tags as string[];
      byEntity.set(key, entry);
    }
    entry.errors.push(p.field !== undefined ? { type: 'field', field: p.field, message: p.message } : { type: 'entity', message: p.message });
  }
  return [...byEntity.values()];
}

/** 400 for a file with problems: every one of them, with its place. */
export class DeclarativeConfigError extends ArchwayError {
  constructor(readonly problems: readonly DeclarativeError[]) {
    const listed = problems.map((p) => (p.where ? `${p.where}: ${p.message}` : p.message)).join('; ');
    super(ErrorCodes.DECLARATIVE_CONFIG, `declarative config is invalid: ${listed}`, nestedErrorFields(problems));
  }

  override toBody(): DeclarativeErrorBody {
    return { ...super.toBody(), flattened_errors: flattenedErrors(this.problems) };
  }
}
