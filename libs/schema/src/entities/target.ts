// The targets entity (kong/db/schema/entities/targets.lua; normalisation from kong/db/dao/targets.lua).
// Differences from Kong: timestamps are integer seconds (Kong's targets carry float seconds with
// milliseconds), and `zone` is an Archway extension for zone-aware balancing.
import type { EntitySchema } from '../entity';
import type { ForeignKey } from '../types';
import { formatHost, normalizeIp } from './address';
import { id, tags, timestamp } from './typedefs';

/** Kong's port for a target given without one. */
export const TARGET_DEFAULT_PORT = 8000;

export interface Target {
  id: string;
  created_at: number;
  updated_at: number;
  upstream: ForeignKey;
  /** `host:port` as stored: the default port added, ipv6 expanded in brackets */
  target: string;
  weight: number;
  tags: string[] | null;
  /** Archway extension: the zone the target runs in, for zone-aware balancing (null: any zone) */
  zone: string | null;
}

/** Kong's format_target: `1.2.3.4` -> `1.2.3.4:8000`, `::1` -> `[0000:…:0001]:8000`; null when invalid. */
export function normalizeTarget(target: string): string | null {
  const parsed = normalizeIp(target);
  return typeof parsed === 'string' ? null : formatHost(parsed, TARGET_DEFAULT_PORT);
}

function checkTarget(target: string): string | null {
  return typeof normalizeIp(target) === 'string'
    ? `Invalid target ('${target}'); not a valid hostname or ip address`
    : null;
}

export const targetSchema: EntitySchema = {
  name: 'targets',
  nestedPath: 'targets',
  endpointKey: 'target',
  uniques: [['upstream', 'target']],
  fields: {
    id,
    created_at: timestamp,
    updated_at: timestamp,
    upstream: { type: 'foreign', reference: 'upstreams', required: true, onDelete: 'cascade' },
    target: { type: 'string', required: true, check: checkTarget },
    weight: { type: 'integer', default: 100, between: [0, 65535] },
    tags,
    zone: { type: 'string' },
  },
  normalize(input) {
    // stored normalised, so that `1.2.3.4` and `1.2.3.4:8000` are the same target (and unique as one)
    if (typeof input.target === 'string') input.target = normalizeTarget(input.target) ?? input.target;
    return input;
  },
};
