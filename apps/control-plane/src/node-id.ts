// A node's id: generated once and kept in the prefix, so it survives restarts (Kong's kong.id).
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function persistentNodeId(prefix: string, file: string): string {
  const path = join(prefix, file);
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (id) return id;
  } catch {
    // first start: create it below
  }
  const id = randomUUID();
  mkdirSync(prefix, { recursive: true });
  writeFileSync(path, id + '\n');
  return id;
}
