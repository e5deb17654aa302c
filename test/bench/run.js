'use strict';
// `npm run bench [name ...]`: runs the named benchmarks (all when none is named); each prints its
// table and rewrites its section of docs/benchmarks.md.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const BENCHES = {
  proxy: { script: 'proxy.js' },
  router: { script: 'router.js' },
  // the bench process holds the big snapshot and its breakdown; the 50 data planes live in child processes
  sync: { script: 'sync.js', nodeArgs: ['--max-old-space-size=12288'] },
  propagation: { script: 'propagation.js', args: ['100', '2'] },
  tracing: { script: 'tracing.js' },
  snapshot: { script: 'snapshot-build.js' },
};

const names = process.argv.slice(2);
for (const name of names.length ? names : Object.keys(BENCHES)) {
  const bench = BENCHES[name];
  if (!bench) {
    process.stderr.write(`unknown benchmark '${name}'; known: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`== ${name}\n`);
  const argv = [...(bench.nodeArgs ?? []), join(__dirname, bench.script), ...(bench.args ?? [])];
  const r = spawnSync(process.execPath, argv, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
