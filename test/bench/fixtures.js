'use strict';
// Realistic configs for benchmarks, built through the real schemas from the build (defaults filled in
// exactly as a published snapshot has them), and data planes started for the benches: from a snapshot
// in their disk cache with no reachable control plane, or synced from a control plane.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const http = require('node:http');
const { ROOT, freePort, tempPrefix, spawnRole, waitFor } = require('./lib');

const schema = require(join(ROOT, 'dist', 'libs', 'schema', 'src', 'index.js'));
const { pluginSchema } = require(join(ROOT, 'dist', 'libs', 'plugins', 'src', 'index.js'));

// created_at drives Kong's tie-breaking between equal-priority routes; keep it deterministic
let clock = 1_700_000_000;

function service(fields) {
  return schema.validateEntity(schema.serviceSchema, { host: '127.0.0.1', ...fields }, 'create');
}

function route(svc, fields) {
  clock += 1;
  return schema.validateEntity(schema.routeSchema, { created_at: clock, service: { id: svc.id }, ...fields }, 'create');
}

function plugin(fields) {
  return schema.validatePlugin(fields, 'create', pluginSchema);
}

/**
 * The i-th route of a mixed set, and a request that matches it. Kinds, by i % 20: exact host + prefix
 * (8 of 20), wildcard host + prefix (3), prefix only with methods (4), regex path under an exact host
 * (2), header + prefix (2), regex path on any host (1). `opts.regex: false` replaces regexes by prefixes
 * (the proxy bench's "hosts and prefixes" set).
 */
function mixedRoute(svc, i, opts = {}) {
  const k = i % 20;
  const host = `svc${i % 250}.example.com`;
  const regex = opts.regex !== false;
  if (k < 8) return [{ hosts: [host], paths: [`/api/r${i}`] }, { host, path: `/api/r${i}/items` }];
  if (k < 11) return [{ hosts: [`*.t${i}.example.net`], paths: [`/t/r${i}`] }, { host: `a.t${i}.example.net`, path: `/t/r${i}/x` }];
  if (k < 15) return [{ paths: [`/p/r${i}`], methods: ['GET', 'POST'] }, { path: `/p/r${i}/list` }];
  if (k < 17 && regex) return [{ hosts: [host], paths: [`~/orders/r${i}/\\d+$`] }, { host, path: `/orders/r${i}/42` }];
  if (k < 19) return [{ paths: [`/h/r${i}`], headers: { 'x-version': [`v${i}`] } }, { path: `/h/r${i}/y`, headers: { 'x-version': `v${i}` } }];
  if (regex) return [{ paths: [`~/re/r${i}/[a-z]+/\\d+$`] }, { path: `/re/r${i}/abc/7` }];
  return [{ paths: [`/q/r${i}`] }, { path: `/q/r${i}/z` }];
}

/** `n` mixed routes on `svc`, and for each a request (method, host, path, headers) that matches it. */
function mixedRoutes(svc, n, opts = {}) {
  const routes = [];
  const requests = [];
  for (let i = 0; i < n; i++) {
    const [fields, req] = mixedRoute(svc, i, opts);
    routes.push(route(svc, { name: `r${i}`, ...fields }));
    requests.push({ method: 'GET', host: req.host ?? 'other.example.org', path: req.path, headers: req.headers ?? {} });
  }
  return { routes, requests };
}

/** `n` consumers, each with one key-auth credential whose key is `key-<i>`. */
function consumersWithKeys(n) {
  const consumers = [];
  const keyauth_credentials = [];
  for (let i = 0; i < n; i++) {
    const c = schema.validateEntity(schema.consumerSchema, { username: `user-${i}` }, 'create');
    consumers.push(c);
    keyauth_credentials.push(schema.validateEntity(schema.keyAuthSchema, { consumer: { id: c.id }, key: `key-${i}` }, 'create'));
  }
  return { consumers, keyauth_credentials };
}

function snapshotOf(version, parts) {
  return schema.makeSnapshot(version, { ...schema.emptyConfig(), ...parts });
}

/** Writes `snapshot` where the data plane's config store keeps its last-known-good cache. */
function writeCache(prefix, snapshot) {
  mkdirSync(join(prefix, 'dp-cache'), { recursive: true });
  writeFileSync(join(prefix, 'dp-cache', 'snapshot.json'), JSON.stringify(snapshot));
}

function get(port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The environment of a single-process data plane proxying on `port` that serves what its disk cache in
 * `prefix` holds: its control plane is a closed port (it keeps retrying, quietly at log level error).
 */
async function cachedDataPlaneEnv(prefix, port) {
  return {
    ARCHWAY_PROXY_LISTEN: `127.0.0.1:${port}`,
    ARCHWAY_PROXY_SSL_LISTEN: 'off',
    ARCHWAY_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${await freePort()}`,
    ARCHWAY_PREFIX: prefix,
    ARCHWAY_WORKERS: '1',
    ARCHWAY_LOG_LEVEL: 'error',
  };
}

/**
 * One single-process data plane serving `snapshot` from its disk cache (cachedDataPlaneEnv). Resolves
 * once the proxy answers `probe` with 200.
 */
async function startCachedDataPlane(snapshot, probe, opts = {}) {
  const prefix = tempPrefix('dp');
  writeCache(prefix, snapshot);
  const port = await freePort();
  const child = spawnRole('data-plane', { ...(await cachedDataPlaneEnv(prefix, port)), ...opts.env }, { nodeArgs: opts.nodeArgs });
  const exited = new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`data plane exited (${code}) before serving`))));
  exited.catch(() => undefined);
  await Promise.race([exited, waitFor('the data plane to serve its cached config', async () => (await get(port, probe.path, probe.headers)) === 200, 120_000)]);
  return { child, port, prefix };
}

/**
 * A real data plane (this checkout's build, or `opts.root`'s) synced from the control plane at `cluster`,
 * with its prefix and `opts.env` (ARCHWAY_WORKERS…). Resolves with { child, port } once it is ready (every
 * worker applied the config: a request answered 200 may come from the first one alone) and answers
 * `probe` with 200.
 */
async function startSyncedDataPlane(what, cluster, prefix, probe, opts = {}) {
  const port = await freePort();
  const statusPort = await freePort();
  const child = spawnRole(
    'data-plane',
    {
      ARCHWAY_PROXY_LISTEN: `127.0.0.1:${port}`,
      ARCHWAY_PROXY_SSL_LISTEN: 'off',
      ARCHWAY_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      ARCHWAY_CLUSTER_CONTROL_PLANE: cluster,
      ARCHWAY_PREFIX: prefix,
      ...opts.env,
    },
    { root: opts.root },
  );
  await waitFor(`the ${what} data plane to be ready`, async () => (await get(statusPort, '/status/ready')) === 200, 300_000);
  await waitFor(`the ${what} data plane to serve the config`, async () => (await get(port, probe.path, probe.headers)) === 200, 300_000);
  return { child, port };
}

/** Kong's declarative document for POST /config: service `bench`, `routes` mixed routes, and `consumers` consumers with a key-auth key each and a global key-auth. */
function declarative(upstreamPort, routes, consumers) {
  const svc = service({ name: 'bench', port: upstreamPort });
  const doc = { _format_version: '3.0', services: [{ name: 'bench', url: `http://127.0.0.1:${upstreamPort}`, routes: [] }], consumers: [], plugins: [] };
  for (let i = 0; i < routes; i++) doc.services[0].routes.push({ name: `r${i}`, ...mixedRoute(svc, i)[0] });
  for (let i = 0; i < consumers; i++) doc.consumers.push({ username: `user-${i}`, keyauth_credentials: [{ key: `key-${i}` }] });
  if (consumers) doc.plugins.push({ name: 'key-auth' });
  return doc;
}

module.exports = { schema, service, route, plugin, mixedRoute, mixedRoutes, consumersWithKeys, declarative, snapshotOf, writeCache, cachedDataPlaneEnv, startCachedDataPlane, startSyncedDataPlane, get };
