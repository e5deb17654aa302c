import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeIdFile, resolveNodeId } from './node-id';

describe('resolveNodeId', () => {
  let prefix: string;
  beforeEach(async () => {
    prefix = await mkdtemp(join(tmpdir(), 'archway-nodeid-'));
  });
  afterEach(() => rm(prefix, { recursive: true, force: true }));

  it('uses the configured node id as is', async () => {
    expect(await resolveNodeId({ nodeId: 'dp-eu-1', prefix })).toBe('dp-eu-1');
  });

  it('generates a UUID once and keeps it in <prefix>/node.id across restarts', async () => {
    const first = await resolveNodeId({ nodeId: null, prefix });
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect((await readFile(nodeIdFile(prefix), 'utf8')).trim()).toBe(first);
    expect(await resolveNodeId({ nodeId: null, prefix })).toBe(first);
  });

  it('replaces a node.id file that does not hold a UUID', async () => {
    await writeFile(nodeIdFile(prefix), 'garbage');
    const id = await resolveNodeId({ nodeId: null, prefix });
    expect(id).toMatch(/^[0-9a-f]{8}-/);
  });
});
