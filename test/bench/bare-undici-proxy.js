'use strict';
// The least a Node proxy can do: node:http in, one undici Pool with keep-alive out, bodies streamed
// both ways, no routing, no header rewriting beyond dropping hop-by-hop headers. The baseline Archway
// is measured against. Usage: node bare-undici-proxy.js <listenPort> <upstreamPort>
const http = require('node:http');
const { Pool } = require('undici');

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 128, keepAliveTimeout: 60_000 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

function forwardHeaders(raw) {
  const out = {};
  for (const [k, v] of Object.entries(raw)) if (!HOP.has(k)) out[k] = v;
  return out;
}

const server = http.createServer((req, res) => {
  pool.stream(
    {
      path: req.url,
      method: req.method,
      headers: forwardHeaders(req.headers),
      body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
    },
    ({ statusCode, headers }) => {
      res.writeHead(statusCode, forwardHeaders(headers));
      return res;
    },
    (err) => {
      if (!err) return;
      if (!res.headersSent) res.writeHead(502);
      res.end();
    },
  );
});
server.keepAliveTimeout = 60_000;
server.listen(listenPort, '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => pool.close().then(() => process.exit(0))));
