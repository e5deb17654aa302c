// A certificate's `snis`, as Kong's kong/db/dao/certificates.lua and dao/snis.lua treat them: names
// given on a write become snis entities in the same transaction (so the history records each SNI), and
// every read shows the sorted names of the certificate's snis. The stored certificate never holds
// them: snapshots, exports and the history carry snis as their own entities.
import { schemaViolation, sniSchema, validateEntity, type WriteKind } from '@archway/schema';
import type { Entity, EntityStore, WriteTx } from '../store/entity-store';
import type { EntityHooks } from './entity-hooks';

type Input = Record<string, unknown>;

/** Kong rejects a repeated name before the schema runs (parse_name_list): `snis: a.test is duplicated`. */
function checkDuplicates(input: Input): void {
  const names = input.snis;
  if (!Array.isArray(names)) return;
  const seen = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string') continue;
    if (seen.has(name)) throw schemaViolation({ snis: `${name} is duplicated` });
    seen.add(name);
  }
}

/**
 * The names a write asks for, or null to keep the current ones: the given list (JSON null clears
 * them all), nothing on a create, and, as Kong's PUT does, nothing on a replace without `snis`; only
 * a PATCH without `snis` keeps them.
 */
function requestedNames(input: Input, entity: Entity, writeKind: WriteKind): string[] | null {
  if ('snis' in input) return (entity.snis as string[] | null) ?? [];
  return writeKind === 'update' ? null : [];
}

/** Kong's check_list_is_new: a name may move only between snis of this same certificate. */
async function checkNamesFree(tx: WriteTx, names: string[], certificateId: string): Promise<void> {
  for (const name of names) {
    const sni = await tx.find('snis', name);
    const owner = (sni?.certificate as { id: string } | undefined)?.id;
    if (sni && owner !== certificateId)
      throw schemaViolation({ snis: `${name} already associated with existing certificate '${owner}'` });
  }
}

/** Kong's update_list: deletes the snis no longer named, creates the new ones, leaves the rest as they are. */
async function replaceSnis(tx: WriteTx, certificateId: string, current: Entity[], names: string[]): Promise<void> {
  const wanted = new Set(names);
  for (const sni of current) if (!wanted.has(sni.name as string)) await tx.delete('snis', sni.id);
  const have = new Set(current.map((s) => s.name as string));
  for (const name of names) {
    if (have.has(name)) continue;
    const sni = validateEntity<Entity>(sniSchema, { name, certificate: { id: certificateId } }, 'create');
    await tx.insert('snis', sni);
  }
}

const sortedNames = (snis: Entity[]) => snis.map((s) => s.name as string).sort();

/** Stores a validated certificate without `snis`, brings its snis in line, and answers with their names. */
async function writeCertificate(tx: WriteTx, entity: Entity, input: Input, writeKind: WriteKind, existing: Entity | null): Promise<Entity> {
  const names = requestedNames(input, entity, writeKind);
  if (names) await checkNamesFree(tx, names, entity.id);
  const stored: Entity = { ...entity };
  delete stored.snis;
  const saved = existing ? await tx.update('certificates', stored) : await tx.insert('certificates', stored);
  const current = await tx.children('snis', 'certificate', entity.id);
  if (names) await replaceSnis(tx, entity.id, current, names);
  return { ...saved, snis: names ? [...names].sort() : sortedNames(current) };
}

/** The names of every sni of one certificate, page by page (Kong's list_for_certificate). */
async function sniNamesOf(store: EntityStore, certificateId: string): Promise<string[]> {
  const snis: Entity[] = [];
  let offset: string | undefined;
  do {
    const page = await store.page('snis', { size: 1000, offset, scope: { field: 'certificate', id: certificateId } });
    snis.push(...page.data);
    offset = page.offset ?? undefined;
  } while (offset);
  return sortedNames(snis);
}

/** Adds `snis` to certificates read back (Kong's select_with_name_list and page_with_name_list). */
async function withSniNames(store: EntityStore, certificates: Entity[]): Promise<Entity[]> {
  return Promise.all(certificates.map(async (c) => ({ ...c, snis: await sniNamesOf(store, c.id) })));
}

export const certificateSnis: EntityHooks = {
  prepare: checkDuplicates,
  write: writeCertificate,
  present: withSniNames,
};
