import { type Socket, createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileBalancer } from './balancer';
import { createDnsResolver, parseHosts } from './dns-resolver';
import { makeTarget, makeUpstream, pickOk } from './testing/fixtures';

type Zone = Record<string, { A?: string[]; SRV?: { port: number; priority: number; weight: number; target: string }[]; ttl: number }>;

/** A tiny authoritative DNS server over UDP for A and SRV questions; unknown names get NXDOMAIN. */
async function dnsServer(zone: Zone): Promise<{ socket: Socket; address: string }> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    let off = 12;
    const labels: string[] = [];
    while (msg[off] !== 0) {
      labels.push(msg.subarray(off + 1, off + 1 + msg[off]).toString());
      off += msg[off] + 1;
    }
    const qtype = msg.readUInt16BE(off + 1);
    const question = msg.subarray(12, off + 5);
    const entry = zone[labels.join('.').toLowerCase()];
    const answers: Buffer[] = [];
    if (entry && qtype === 1) for (const ip of entry.A ?? []) answers.push(record(1, entry.ttl, Buffer.from(ip.split('.').map(Number))));
    if (entry && qtype === 33)
      for (const s of entry.SRV ?? []) {
        const head = Buffer.alloc(6);
        head.writeUInt16BE(s.priority, 0);
        head.writeUInt16BE(s.weight, 2);
        head.writeUInt16BE(s.port, 4);
        answers.push(record(33, entry.ttl, Buffer.concat([head, encodeName(s.target)])));
      }
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    header.writeUInt16BE(entry ? 0x8580 : 0x8583, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { socket, address: `127.0.0.1:${socket.address().port}` };
}

function record(type: number, ttl: number, rdata: Buffer): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(0xc00c, 0); // the question's name
  b.writeUInt16BE(type, 2);
  b.writeUInt16BE(1, 4);
  b.writeUInt32BE(ttl, 6);
  b.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([b, rdata]);
}

function encodeName(name: string): Buffer {
  return Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
}

describe('the default resolver', () => {
  let server: { socket: Socket; address: string };
  beforeAll(async () => {
    server = await dnsServer({
      'api.test': { A: ['10.9.0.1', '10.9.0.2'], ttl: 42 },
      '_http._tcp.api.test': { SRV: [{ priority: 1, weight: 10, port: 8443, target: 'node.test' }], ttl: 60 },
      'node.test': { A: ['10.9.0.5'], ttl: 20 },
    });
  });
  afterAll(() => server.socket.close());

  it('resolves A records with their TTLs from the configured DNS server', async () => {
    const r = createDnsResolver({ servers: [server.address], hostsFile: null });
    expect(await r.resolve4('api.test')).toEqual([
      { address: '10.9.0.1', ttl: 42 },
      { address: '10.9.0.2', ttl: 42 },
    ]);
    await expect(r.resolve4('missing.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('lets a balancer follow SRV records served by a real DNS server', async () => {
    const u = makeUpstream();
    const b = compileBalancer(u, [makeTarget(u, '_http._tcp.api.test:80')], {
      resolver: createDnsResolver({ servers: [server.address], hostsFile: null }),
    });
    await b.ready();
    expect(pickOk(b)).toMatchObject({ host: '10.9.0.5', port: 8443, hostHeader: '_http._tcp.api.test' });
    b.close();
  });

  it('answers names from the hosts file without asking DNS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'archway-hosts-'));
    const file = join(dir, 'hosts');
    writeFileSync(file, '127.0.0.1 localhost  # loopback\n::1 localhost ip6-localhost\n10.0.0.9 Web.Local web\n');
    try {
      const r = createDnsResolver({ servers: [server.address], hostsFile: file });
      expect(await r.resolve4('web.local')).toEqual([{ address: '10.0.0.9', ttl: 3600 }]);
      expect(await r.resolve6('localhost')).toEqual([{ address: '::1', ttl: 3600 }]);
      await expect(r.resolve6('web')).rejects.toMatchObject({ code: 'ENODATA' });
      await expect(r.resolveSrv('localhost')).rejects.toMatchObject({ code: 'ENODATA' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses hosts files with comments, aliases and both families', () => {
    const hosts = parseHosts('# c\n\n127.0.0.1 localhost me\n::1 localhost\n');
    expect(hosts.get('me')).toEqual({ v4: ['127.0.0.1'], v6: [] });
    expect(hosts.get('localhost')).toEqual({ v4: ['127.0.0.1'], v6: ['::1'] });
  });
});
