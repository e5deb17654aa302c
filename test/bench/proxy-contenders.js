'use strict';
// Starts everything the proxy benchmark compares, each single-process and proxying to the same nginx
// upstream over keep-alive: direct, nginx, the bare undici proxy, and Archway data planes (one per
// scenario) serving a snapshot from their disk cache with no control plane.
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const { freePort, waitFor } = require('./lib');
const { startNginx, startRedis, portOpen } = require('./tools');
const fx = require('./fixtures');

/** The routes scenario: `n` hosts-and-prefixes routes; the request matches the last one created. */
function manyRoutesSnapshot(svc, n) {
  const { routes, requests } = fx.mixedRoutes(svc, n, { regex: false });
  const target = requests[requests.length - 1];
  return { snapshot: fx.snapshotOf(1, { services: [svc], routes }), target };
}

/** One route on `/` with key-auth and rate-limiting (policy local or redis) and 100 consumers. */
function pluginsSnapshot(svc, policy, redisPort) {
  const r = fx.route(svc, { name: 'root', paths: ['/'] });
  const { consumers, keyauth_credentials } = fx.consumersWithKeys(100);
  // a limit no benchmark reaches: every request is counted, none is refused
  const rl = { hour: 1e12, policy, ...(policy === 'redis' ? { redis: { host: '127.0.0.1', port: redisPort } } : {}) };
  const plugins = [fx.plugin({ name: 'key-auth', route: { id: r.id } }), fx.plugin({ name: 'rate-limiting', route: { id: r.id }, config: rl })];
  return fx.snapshotOf(1, { services: [svc], routes: [r], consumers, keyauth_credentials, plugins });
}

/**
 * Starts the upstream and every contender; returns { contenders, stop, upstreamPort, notes }. A
 * contender is { key, label, port, path, headers } or { key, label, na: reason }.
 */
async function startContenders({ nginx, routes, dir }) {
  const children = [];
  const notes = [];
  const stop = async () => {
    for (const c of children.reverse()) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill(c.spawnargs[0].endsWith('nginx') ? 'SIGQUIT' : 'SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
  };
  try {
    const upstreamPort = await freePort();
    children.push(await startNginx(nginx, 'nginx-upstream.conf', { PORT: upstreamPort, DIR: dir }, dir));
    const nginxPort = await freePort();
    children.push(await startNginx(nginx, 'nginx-proxy.conf', { PORT: nginxPort, UPSTREAM_PORT: upstreamPort, DIR: dir }, dir));
    const barePort = await freePort();
    children.push(spawn(process.execPath, [join(__dirname, 'bare-undici-proxy.js'), String(barePort), String(upstreamPort)], { stdio: ['ignore', 'ignore', 'inherit'] }));
    await waitFor('the bare undici proxy', () => portOpen(barePort), 20_000);

    const svc = fx.service({ name: 'bench', host: '127.0.0.1', port: upstreamPort });
    const contenders = [
      { key: 'direct', label: 'direct (wrk → upstream)', port: upstreamPort, path: '/' },
      { key: 'nginx', label: 'nginx proxy', port: nginxPort, path: '/' },
      { key: 'bare', label: 'bare undici proxy', port: barePort, path: '/' },
    ];
    const startDp = async (key, label, snapshot, probe) => {
      const dp = await fx.startCachedDataPlane(snapshot, probe);
      children.push(dp.child);
      contenders.push({ key, label, port: dp.port, path: probe.path, headers: probe.headers ?? {}, prefix: dp.prefix });
    };
    const one = fx.snapshotOf(1, { services: [svc], routes: [fx.route(svc, { name: 'root', paths: ['/'] })] });
    await startDp('archway', 'Archway, no plugins, 1 route', one, { path: '/' });
    const many = manyRoutesSnapshot(svc, routes);
    const host = many.target.host;
    await startDp('archway10k', `Archway, no plugins, ${routes.toLocaleString('en')} routes`, many.snapshot, {
      path: many.target.path,
      headers: { host, ...many.target.headers },
    });
    const auth = { apikey: 'key-42' };
    await startDp('plugLocal', 'Archway, key-auth + rate-limiting (local)', pluginsSnapshot(svc, 'local'), { path: '/', headers: auth });
    const redisPort = await freePort();
    const redis = await startRedis(redisPort);
    if (redis) {
      children.push(redis);
      await startDp('plugRedis', 'Archway, key-auth + rate-limiting (redis)', pluginsSnapshot(svc, 'redis', redisPort), { path: '/', headers: auth });
    } else {
      contenders.push({ key: 'plugRedis', label: 'Archway, key-auth + rate-limiting (redis)', na: 'n/a — redis-server not installed (apt-get install -y redis-server)' });
      notes.push('redis-server is not installed: the redis row was skipped.');
    }
    return { contenders, stop, upstreamPort, svc, one, notes };
  } catch (err) {
    await stop();
    throw err;
  }
}

module.exports = { startContenders, manyRoutesSnapshot, pluginsSnapshot };
