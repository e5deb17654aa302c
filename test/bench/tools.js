'use strict';
// External tools the proxy benchmarks drive: wrk (load, parsed output), nginx (upstream and reference
// proxy, from the configs beside this file), redis-server (rate-limiting's redis policy).
const { spawn, spawnSync } = require('node:child_process');
const { accessSync, constants, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const net = require('node:net');
const { waitFor } = require('./lib');

const INSTALL = 'apt-get update && apt-get install -y nginx wrk';

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(':').concat(['/usr/sbin', '/usr/local/sbin', '/sbin'])) {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return join(dir, cmd);
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** Paths of nginx and wrk, or exits non-zero with the install command when either is missing. */
function requireTools() {
  const nginx = which('nginx');
  const wrk = which('wrk');
  if (!nginx || !wrk) {
    const missing = [!nginx && 'nginx', !wrk && 'wrk'].filter(Boolean).join(' and ');
    process.stderr.write(`the proxy benchmark needs ${missing} (Debian's packages). Install them with:\n  ${INSTALL}\n`);
    process.exit(3);
  }
  return { nginx, wrk };
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts nginx in the foreground from `conf` (a file beside this one) with {{KEY}} placeholders filled. */
async function startNginx(nginxBin, conf, vars, dir) {
  let text = readFileSync(join(__dirname, conf), 'utf8');
  for (const [k, v] of Object.entries(vars)) text = text.split(`{{${k}}}`).join(String(v));
  const file = join(dir, conf);
  writeFileSync(file, text);
  const child = spawn(nginxBin, ['-p', dir, '-e', join(dir, `${conf}.stderr.log`), '-c', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitFor(`nginx (${conf})`, () => portOpen(vars.PORT), 20_000);
  return child;
}

/** redis-server on `port`, no persistence; null when it is not installed. */
async function startRedis(port) {
  const bin = which('redis-server');
  if (!bin) return null;
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitFor('redis-server', () => portOpen(port), 20_000);
  return child;
}

const UNIT = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`cannot read wrk latency '${text}'`);
  return Number(m[1]) * UNIT[m[2]];
}

/** Reads wrk's report: rps, latency mean/p50/p99 (ms), non-2xx/3xx responses and socket errors. */
function parseWrk(out) {
  const num = (re) => {
    const m = re.exec(out);
    return m ? m : null;
  };
  const rps = num(/Requests\/sec:\s+([\d.]+)/);
  const avg = num(/Latency\s+([\d.]+\w+)\s/);
  const p50 = num(/\s50%\s+([\d.]+\w+)/);
  const p99 = num(/\s99%\s+([\d.]+\w+)/);
  if (!rps || !avg || !p50 || !p99) throw new Error(`cannot read wrk's output:\n${out}`);
  const non2xx = num(/Non-2xx or 3xx responses:\s+(\d+)/);
  const sock = num(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { rps: Number(rps[1]), mean: toMs(avg[1]), p50: toMs(p50[1]), p99: toMs(p99[1]), non2xx: non2xx ? Number(non2xx[1]) : 0, socketErrors };
}

/** One wrk run (bounded by -d); returns the parsed report. */
function wrk(wrkBin, url, { connections, seconds, headers = {} }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(wrkBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}:\n${out}`));
      try {
        resolve(parseWrk(out));
      } catch (err) {
        reject(err);
      }
    });
  });
}

function nginxVersion(nginxBin) {
  return spawnSync(nginxBin, ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', '');
}

function wrkVersion(wrkBin) {
  const r = spawnSync(wrkBin, ['-v'], { encoding: 'utf8' });
  return ((r.stdout || '') + (r.stderr || '')).split('\n')[0].trim();
}

module.exports = { INSTALL, requireTools, startNginx, startRedis, wrk, parseWrk, portOpen, nginxVersion, wrkVersion, which };
