import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModuleKind, ScriptTarget, transpileModule } from 'typescript';

/**
 * Runs nextTicks between full GCs in a fresh node (--expose-gc), with or without keepTickObjectShape
 * first, and returns how V8 prints process.nextTick's inline caches afterwards (%DebugPrint).
 */
function nextTickFeedbackAfterFullGcs(keep: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'tick-shape-'));
  try {
    const source = readFileSync(join(__dirname, 'tick-object-shape.ts'), 'utf8');
    const js = transpileModule(source, { compilerOptions: { module: ModuleKind.CommonJS, target: ScriptTarget.ES2022 } }).outputText;
    writeFileSync(join(dir, 'tick-object-shape.js'), js);
    const script = `
      ${keep ? `require(${JSON.stringify(join(dir, 'tick-object-shape.js'))}).keepTickObjectShape();` : ''}
      const noop = () => {};
      (async () => {
        for (let round = 0; round < 8; round++) {
          for (let i = 0; i < 100; i++) process.nextTick(noop);
          await new Promise((resolve) => setImmediate(resolve));
          gc();
        }
        for (let i = 0; i < 100; i++) process.nextTick(noop);
        await new Promise((resolve) => setImmediate(resolve));
        %DebugPrint(process.nextTick);
      })();`;
    const run = spawnSync(process.execPath, ['--expose-gc', '--allow-natives-syntax', '-e', script], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    return run.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const defineSlots = (feedback: string) => feedback.split('\n').filter((line) => line.includes('DefineKeyedOwnPropertyInLiteral'));

describe('keepTickObjectShape', () => {
  it("keeps process.nextTick's tick-object literal on its fast path through full GCs", () => {
    const kept = defineSlots(nextTickFeedbackAfterFullGcs(true));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.filter((slot) => slot.includes('MEGAMORPHIC'))).toEqual([]);
  });

  it('is needed on Node 20: without it the literal goes megamorphic after a few full GCs', () => {
    const slots = defineSlots(nextTickFeedbackAfterFullGcs(false));
    if (process.versions.node.startsWith('20.')) expect(slots.some((slot) => slot.includes('MEGAMORPHIC'))).toBe(true);
  });
});
