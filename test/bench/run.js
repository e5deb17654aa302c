'use strict';
// `npm run bench [name ...]`: runs the named benchmarks (all when none is named); each prints its
// table and rewrites its section of docs/benchmarks.md.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const BENCHES = {
  propagation: ['propagation.js', '100', '2'],
};

const names = process.argv.slice(2);
for (const name of names.length ? names : Object.keys(BENCHES)) {
  const bench = BENCHES[name];
  if (!bench) {
    process.stderr.write(`unknown benchmark '${name}'; known: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`== ${name}\n`);
  const r = spawnSync(process.execPath, [join(__dirname, bench[0]), ...bench.slice(1)], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
