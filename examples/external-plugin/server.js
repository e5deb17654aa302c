#!/usr/bin/env node
// A minimal plugin service for Archway's `external` plugin, in plain Node: the same rule served over
// HTTP (JSON) and gRPC (proto/archway/plugin/v1/external.proto). The rule: a request without an
// `x-tenant` header is refused with 401; otherwise it continues with `x-tenant-checked: 1` added and
// `x-debug` removed. The contract is in docs/plugins/external.md.
//
//   HTTP_PORT=8080 GRPC_PORT=9090 node examples/external-plugin/server.js
//
// Ports default to 8080 and 9090 (0 = any free port). The first stdout line is the bound ports as
// JSON, e.g. {"http":8080,"grpc":9090}. `x-plugin-delay: <ms>` (if the plugin forwards it) delays
// the answer, to try timeouts and fail_open.
'use strict';
const http = require('node:http');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_DIR = path.join(__dirname, '..', '..', 'proto');

/** The plugin's logic, shared by both transports: an AccessRequest in, an AccessResponse out. */
function decide(accessRequest) {
  const headers = accessRequest.request.headers;
  if (!headers['x-tenant']) {
    return {
      action: 'exit',
      status: 401,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'x-tenant header required' }),
    };
  }
  return { action: 'continue', set_headers: { 'x-tenant-checked': '1' }, remove_headers: ['x-debug'] };
}

function delayOf(accessRequest) {
  return Number(accessRequest.request.headers['x-plugin-delay']) || 0;
}

function answerLater(accessRequest, send) {
  const delay = delayOf(accessRequest);
  const answer = decide(accessRequest);
  if (delay > 0) setTimeout(() => send(answer), delay);
  else send(answer);
}

function startHttp(port) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let accessRequest;
      try {
        accessRequest = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"message":"expected a JSON AccessRequest"}');
        return;
      }
      answerLater(accessRequest, (answer) => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

function startGrpc(port) {
  const definition = protoLoader.loadSync('archway/plugin/v1/external.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [PROTO_DIR],
  });
  const { ExternalPlugin } = grpc.loadPackageDefinition(definition).archway.plugin.v1;
  const server = new grpc.Server();
  server.addService(ExternalPlugin.service, {
    Access(call, callback) {
      answerLater(call.request, (answer) => callback(null, answer));
    },
  });
  return new Promise((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve({ server, port: bound }),
    ),
  );
}

async function main() {
  const httpServer = await startHttp(Number(process.env.HTTP_PORT ?? 8080));
  const grpcServer = await startGrpc(Number(process.env.GRPC_PORT ?? 9090));
  process.stdout.write(`${JSON.stringify({ http: httpServer.address().port, grpc: grpcServer.port })}\n`);
  const stop = () => {
    httpServer.close();
    httpServer.closeAllConnections();
    grpcServer.server.forceShutdown();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`external-plugin: ${err.stack ?? err}\n`);
  process.exit(1);
});
