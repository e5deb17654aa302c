'use strict';
// The upstream of the sync, propagation and router benches: answers every request 200 "ok", in a
// process of its own. In the bench's own process, whose heap holds 10,000-route configs, a full
// garbage collection (hundreds of ms) would stall the upstream and show up as the proxy's latency.
// Usage: node ok-upstream.js <port>   (sends 'ready' over IPC once it listens)
const http = require('node:http');

const server = http.createServer((_, res) => res.end('ok'));
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => process.exit(0));
