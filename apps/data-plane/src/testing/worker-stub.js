// A stand-in proxy worker for workers.spec.ts: speaks the primary<->worker IPC protocol
// (worker-messages.ts) without a proxy. STUB_REJECT lists snapshot versions it rejects;
// STUB_START_FAIL makes it fail to start; a query for upstream 'crash' makes it die. Its metrics: a
// counter at STUB_REQUESTS (default 5) and a gauge at 1; STUB_METRICS_ONCE answers only the first query.
let served = null;
let metricsAnswered = 0;
const metrics = () => [
  { name: 'req_total', help: 'requests', type: 'counter', labelNames: ['code'], series: [{ labels: ['200'], value: Number(process.env.STUB_REQUESTS || 5) }] },
  { name: 'conn', help: 'connections', type: 'gauge', merge: 'sum', labelNames: [], series: [{ labels: [], value: 1 }] },
];
const reject = new Set((process.env.STUB_REJECT || '').split(',').filter(Boolean).map(Number));
const send = (msg) => process.connected && process.send(msg);

process.on('message', (msg) => {
  switch (msg.type) {
    case 'start':
      if (process.env.STUB_START_FAIL) {
        send({ type: 'start-failed', message: 'cannot listen for proxy traffic: the address is already in use' });
        return process.exit(1);
      }
      served = msg.snapshot ? msg.snapshot.version : null;
      send({ type: 'listening', proxyPort: 8000, proxySslPort: null });
      send({ type: 'health', report: { upstreams: [{ upstream_id: `from-${process.pid}` }] } });
      return;
    case 'apply':
      if (reject.has(msg.snapshot.version)) return send({ type: 'applied', seq: msg.seq, error: `v${msg.snapshot.version} rejected` });
      served = msg.snapshot.version;
      return send({ type: 'applied', seq: msg.seq, error: null });
    case 'query':
      if (msg.what === 'upstream-health' && msg.key === 'crash') return process.exit(3);
      if (msg.what === 'upstream-health') return send({ type: 'answer', seq: msg.seq, body: { pid: process.pid, key: msg.key } });
      if (msg.what === 'metrics') {
        if (process.env.STUB_METRICS_ONCE && metricsAnswered > 0) return;
        metricsAnswered++;
        return send({ type: 'answer', seq: msg.seq, body: metrics() });
      }
      return send({ type: 'answer', seq: msg.seq, body: { total_requests: 1, [`served_v${served}`]: 1 } });
    case 'drain':
      return setTimeout(() => process.exit(0), 20);
  }
});
send({ type: 'up' });
