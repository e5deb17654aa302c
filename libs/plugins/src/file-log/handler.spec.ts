import { mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileChains, runLog, type ChainSet, type PluginHandler, type PluginLogger } from '@archway/pipeline';
import type { ConfigSet } from '@archway/schema';
import { contextFor, pluginInstance, route, service } from '../testing/spec-kit';
import { acquireSink, releaseSink } from './file-sink';
import { fileLogHandler } from './handler';

const until = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached');
};

const linesOf = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { upstream_uri: string });

function recorder() {
  const lines: string[] = [];
  const at = (msg: string) => void lines.push(msg);
  const logger: PluginLogger = { debug: at, info: at, warn: at, error: at };
  return { lines, logger };
}

describe('file-log', () => {
  let dir: string;
  let chains: ChainSet | null = null;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archway-file-log-'));
  });
  afterEach(async () => {
    chains?.dispose();
    chains = null;
    await new Promise((r) => setTimeout(r, 20));
    await rm(dir, { recursive: true, force: true });
  });

  function setUp(config: Record<string, unknown>, logger?: PluginLogger) {
    const set = { services: [service], routes: [route], plugins: [pluginInstance('file-log', config)] } as unknown as ConfigSet;
    chains = compileChains({ config: set, handlers: new Map([['file-log', fileLogHandler as unknown as PluginHandler]]), logger });
    const chain = chains.forRoute(route);
    return (path: string) => runLog(chain, contextFor({ path }), (err) => { throw err; });
  }

  it('appends one JSON line per request, in order, to a file it creates with mode 0644', async () => {
    const file = join(dir, 'access.log');
    const log = setUp({ path: file });
    for (const p of ['/1', '/2', '/3']) await log(p);
    await until(async () => (await linesOf(file)).length === 3);
    expect((await linesOf(file)).map((r) => r.upstream_uri)).toEqual(['/1', '/2', '/3']);
    expect((await stat(file)).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it('with reopen, writes to a new file once the old one was rotated away', async () => {
    const file = join(dir, 'access.log');
    const log = setUp({ path: file, reopen: true });
    await log('/before');
    await until(async () => (await linesOf(file)).length === 1);
    await rename(file, join(dir, 'access.log.1'));
    await log('/after');
    await until(async () => (await linesOf(file)).length === 1);
    expect((await linesOf(file))[0].upstream_uri).toBe('/after');
    expect((await linesOf(join(dir, 'access.log.1')))[0].upstream_uri).toBe('/before');
  });

  it("logs Kong's 'failed to open the file' and carries on when the path cannot be written", async () => {
    const { lines, logger } = recorder();
    const log = setUp({ path: join(dir, 'missing-dir', 'x.log') }, logger);
    await expect(log('/a')).resolves.toBeUndefined();
    await until(async () => lines.length > 0);
    expect(lines[0]).toMatch(/^failed to open the file: ENOENT/);
  });

  it('shares one open file per path between instances and closes it when the last one is released', async () => {
    const file = join(dir, 'shared.log');
    const { logger } = recorder();
    const a = acquireSink(file, logger);
    const b = acquireSink(file, logger);
    expect(a).toBe(b);
    a.write('{"n":1}\n', false);
    await releaseSink(a);
    b.write('{"n":2}\n', false);
    await releaseSink(b);
    expect(await readFile(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
    expect(acquireSink(file, logger)).not.toBe(a);
  });
});
