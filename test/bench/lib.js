'use strict';
// Shared helpers for benchmarks: processes from the build, free ports, percentiles, and writing a
// marked section of docs/benchmarks.md.
const http = require('node:http');
const { spawn } = require('node:child_process');
const { createServer } = require('node:net');
const { mkdtempSync, chmodSync, readFileSync, writeFileSync, existsSync } = require('node:fs');
const { tmpdir, cpus, totalmem } = require('node:os');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Linux's USER_HZ: /proc/<pid>/stat times are in these ticks */
const TICKS_PER_S = 100;

/**
 * A /proc/<pid>/stat line (Linux): the parent pid and the CPU time used (utime + stime, seconds). The
 * fields are read after the last ')': the command name before it may hold spaces and parentheses.
 */
function parseProcStat(text) {
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), cpuSeconds: (Number(f[11]) + Number(f[12])) / TICKS_PER_S };
}

/** CPU time `pid` has used (utime + stime, seconds; Linux). */
function cpuSeconds(pid) {
  return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).cpuSeconds;
}

function tempPrefix(label) {
  const dir = mkdtempSync(join(tmpdir(), `archway-bench-${label}-`));
  chmodSync(dir, 0o755); // the embedded Postgres runs unprivileged when we are root
  return dir;
}

/**
 * Starts a role from the build (`opts.root`'s, another built checkout, else this one's); `opts.nodeArgs`
 * go before the script (e.g. --cpu-prof), `opts.stdio` overrides.
 */
function spawnRole(app, env, opts = {}) {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), join(opts.root ?? ROOT, 'dist', 'apps', app, 'src', 'main.js')], {
    env: { ...process.env, ARCHWAY_LOG_LEVEL: 'warn', ...env },
    stdio: opts.stdio ?? ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
async function stopChild(child, graceMs = 15_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Starts ok-upstream.js (every request answered 200 "ok") on a free port: { port, child }, stopped with stopChild. */
async function startOkUpstream() {
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, 'ok-upstream.js'), String(port)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`ok-upstream.js exited with ${code}`)));
  });
  child.disconnect();
  return { port, child };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** median, min and max of a list of numbers (rounds of one measurement). */
function rounds(values) {
  const s = [...values].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)], min: s[0], max: s[s.length - 1], n: s.length };
}

/** "median (min–max)" with `digits` decimals. */
function fmtRange(r, digits = 2) {
  if (!r || Number.isNaN(r.median)) return 'n/a';
  return r.n > 1 ? `${r.median.toFixed(digits)} (${r.min.toFixed(digits)}–${r.max.toFixed(digits)})` : r.median.toFixed(digits);
}

async function waitFor(what, check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function summarize(values) {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, mean, p50: percentile(s, 50), p99: percentile(s, 99), min: s[0], max: s[s.length - 1] };
}

function machine() {
  const c = cpus();
  return `${c.length} × ${c[0] ? c[0].model.trim() : 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`;
}

/** Replaces the section between `<!-- name:start -->` and `<!-- name:end -->` in docs/benchmarks.md. */
function writeSection(name, markdown) {
  const file = join(ROOT, 'docs', 'benchmarks.md');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const re = new RegExp(`${start}[\\s\\S]*?${end}`);
  // A function replacer: the block is inserted as is (a string replacement would expand the `$&`,
  // `$\``, `$'` patterns that tables and code can hold).
  doc = re.test(doc) ? doc.replace(re, () => block) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, doc);
}

/** One HTTP call (an Admin API write) on a fresh connection: status and body. Writes can be a minute apart: a kept-alive socket would have timed out. */
function call(method, url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(url, { method, agent: false, headers: data ? { 'content-type': 'application/json', ...headers } : headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

module.exports = {
  ROOT, call, freePort, tempPrefix, parseProcStat, cpuSeconds, spawnRole, stopChild, startOkUpstream, waitFor, summarize, percentile, machine, writeSection, sleep, rounds, fmtRange,
};
