// A service trusts CA certificates named by id in a plain list (`ca_certificates`), not a foreign key,
// so the database cannot guard the reference. These hooks do, as Kong's DAO does: a service write
// naming a CA that does not exist is refused, and so is deleting a CA that a service still trusts
// (kong/db/dao/ca_certificates.lua). Without them one dangling id would break every snapshot build.
import { ArchwayError, ErrorCodes, foreignKeyViolation } from '@archway/schema';
import type { Entity, EntityStore, WriteTx } from '../store/entity-store';
import type { EntityHooks } from './entity-hooks';

/**
 * Each CA the service names must exist; the lookup locks its row until commit, so a concurrent
 * delete of that CA waits and then sees this service.
 */
export async function checkCasExist(tx: WriteTx, service: Entity): Promise<void> {
  for (const id of (service.ca_certificates as string[] | null | undefined) ?? [])
    if (!(await tx.find('ca_certificates', id))) throw foreignKeyViolation('ca_certificates', { id }, 'ca_certificates');
}

/** Kong's message: `ca certificate <id> is still referenced by services (id = <service id>)`. */
export async function checkCaUnreferenced(tx: WriteTx, ca: Entity): Promise<void> {
  const rows = (await tx.raw(`SELECT id FROM services WHERE data->'ca_certificates' @> jsonb_build_array($1::text) ORDER BY id LIMIT 1`, [
    ca.id,
  ])) as { id: string }[];
  if (rows.length)
    throw new ArchwayError(ErrorCodes.REFERENCED_BY_OTHERS, `ca certificate ${ca.id} is still referenced by services (id = ${rows[0].id})`);
}

const asStored = async (_: EntityStore, entities: Entity[]) => entities;

export const serviceCaCertificates: EntityHooks = {
  prepare: () => undefined,
  async write(tx, entity, _input, _kind, existing) {
    await checkCasExist(tx, entity);
    return existing ? tx.update('services', entity) : tx.insert('services', entity);
  },
  present: asStored,
};

export const caCertificateReferences: EntityHooks = {
  prepare: () => undefined,
  write: (tx, entity, _input, _kind, existing) => (existing ? tx.update('ca_certificates', entity) : tx.insert('ca_certificates', entity)),
  present: asStored,
  beforeDelete: checkCaUnreferenced,
};
