// The data plane's identity towards the control plane (Kong's node_id): the configured id, else a UUID
// generated on first start and kept in <prefix>/node.id so restarts keep the same row in the registry.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './write-file-atomic';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function nodeIdFile(prefix: string): string {
  return join(prefix, 'node.id');
}

export async function resolveNodeId(settings: { nodeId: string | null; prefix: string }): Promise<string> {
  if (settings.nodeId) return settings.nodeId;
  const file = nodeIdFile(settings.prefix);
  try {
    const kept = (await readFile(file, 'utf8')).trim();
    if (UUID.test(kept)) return kept.toLowerCase();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // absent or unreadable content: a fresh id, written atomically so a crash cannot leave half of one
  const id = randomUUID();
  await writeFileAtomic(file, `${id}\n`);
  return id;
}
