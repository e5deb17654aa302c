// The consumers entity (kong/db/schema/entities/consumers.lua).
import type { EntitySchema } from '../entity';
import { id, tags, timestamp } from './typedefs';

export interface Consumer {
  id: string;
  created_at: number;
  updated_at: number;
  username: string | null;
  custom_id: string | null;
  tags: string[] | null;
}

export const consumerSchema: EntitySchema = {
  name: 'consumers',
  endpointKey: 'username',
  uniques: [['custom_id']],
  fields: {
    id,
    created_at: timestamp,
    updated_at: timestamp,
    username: { type: 'string', unique: true },
    custom_id: { type: 'string' },
    tags,
  },
  check(c) {
    if (c.username === null && c.custom_id === null)
      return { '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"] };
    return null;
  },
};
