'use strict';
// Summarises a V8 .cpuprofile (node --cpu-prof): self time aggregated by function + source location,
// top N. Usage: node test/bench/cpu-profile.js <file.cpuprofile> [N]
const { readFileSync } = require('node:fs');
const { ROOT } = require('./lib');

function shortUrl(url) {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(ROOT)) u = u.slice(ROOT.length + 1);
  const nm = u.lastIndexOf('node_modules/');
  return nm >= 0 ? u.slice(nm + 'node_modules/'.length) : u;
}

/** [{ name, where, ms, share }] by self time, highest first; `totalMs` is the profile's span. */
function summarizeProfile(file, top = 15) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  // sample i lasted timeDeltas[i + 1] (the delta recorded with the next sample)
  const { samples, timeDeltas } = profile;
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    total += dt;
    const node = byId.get(samples[i]);
    const cf = node.callFrame;
    const name = cf.functionName || '(anonymous)';
    const where = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${name}\u0000${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const rows = [...self.entries()]
    .map(([key, us]) => {
      const [name, where] = key.split('\u0000');
      return { name, where, ms: us / 1000, share: total ? us / total : 0 };
    })
    .sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, rows: rows.slice(0, top), all: rows };
}

/** Self time grouped by where the code lives: Archway (dist/), undici, other node_modules, Node core, V8/runtime. */
function byArea(all) {
  const areas = new Map();
  for (const r of all) {
    let area = 'V8 / runtime (GC, program, idle)';
    if (r.where.startsWith('dist/')) area = 'Archway (dist/)';
    else if (r.where.startsWith('undici/')) area = 'undici';
    else if (r.where.startsWith('node:')) area = 'Node core (node:http, net, streams)';
    else if (r.where) area = 'other packages';
    else if (r.name !== '(garbage collector)' && r.name !== '(program)' && r.name !== '(idle)') area = 'native (C++ bindings, builtins)';
    areas.set(area, (areas.get(area) ?? 0) + r.share);
  }
  return [...areas.entries()].sort((a, b) => b[1] - a[1]);
}

function profileTable(summary) {
  const lines = ['| # | function | where | self ms | self % |', '|---|---|---|---|---|'];
  summary.rows.forEach((r, i) =>
    lines.push(`| ${i + 1} | \`${r.name}\` | ${r.where ? `\`${r.where}\`` : ''} | ${r.ms.toFixed(0)} | ${(r.share * 100).toFixed(1)} |`),
  );
  return lines.join('\n');
}

if (require.main === module) {
  const s = summarizeProfile(process.argv[2], Number(process.argv[3] || 15));
  process.stdout.write(`${profileTable(s)}\n\nby area: ${byArea(s.all).map(([a, x]) => `${a} ${(x * 100).toFixed(1)}%`).join(', ')}\n`);
}

module.exports = { summarizeProfile, profileTable, byArea };
