// The snis entity (kong/db/schema/entities/snis.lua): a server name pointing at a certificate.
// Names may carry one wildcard at either end (`*.example.com`, `example.*`); `*` alone is the default.
import type { EntitySchema } from '../entity';
import type { FieldDef } from '../fields';
import type { ForeignKey } from '../types';
import { checkWildcardSni } from './address';
import { id, tags, timestamp } from './typedefs';

export interface Sni {
  id: string;
  created_at: number;
  updated_at: number;
  name: string;
  certificate: ForeignKey;
  tags: string[] | null;
}

/** An SNI name (Kong's typedefs.wildcard_host); also the elements of a certificate's `snis`. */
export const sniName: Extract<FieldDef, { type: 'string' }> = { type: 'string', check: checkWildcardSni };

export const sniSchema: EntitySchema = {
  name: 'snis',
  nestedPath: 'snis',
  endpointKey: 'name',
  fields: {
    id,
    created_at: timestamp,
    updated_at: timestamp,
    name: { ...sniName, required: true, unique: true },
    certificate: { type: 'foreign', reference: 'certificates', required: true, onDelete: 'cascade' },
    tags,
  },
};
