// The default Resolver: node's c-ares resolver (real TTLs) plus the hosts file, which c-ares queries do
// not read. As in Kong's DNS client, a name listed in the hosts file is answered from it for every
// record type (no SRV), so `localhost` and container-runtime entries work without a DNS server.
import { readFileSync } from 'node:fs';
import { Resolver as NodeResolver } from 'node:dns/promises';
import type { AddressRecord, Resolver, SrvRecord } from './types';

export interface DnsResolverOptions {
  /** DNS servers (`ip` or `ip:port`, `[ipv6]:port`); default: the system's */
  servers?: string[];
  /** hosts file to read once at creation; null: none. Default /etc/hosts */
  hostsFile?: string | null;
  /** node's SRV answers carry no TTL: how long to trust one, seconds (default 30) */
  srvTtl?: number;
  /** per-query timeout in ms (default 2000, Kong's) and tries (default 2) */
  timeoutMs?: number;
  tries?: number;
}

/** hosts entries never expire on their own; refresh them hourly anyway */
const HOSTS_TTL = 3600;

interface HostsEntry {
  v4: string[];
  v6: string[];
}

export function createDnsResolver(opts: DnsResolverOptions = {}): Resolver {
  const resolver = new NodeResolver({ timeout: opts.timeoutMs ?? 2000, tries: opts.tries ?? 2 });
  if (opts.servers?.length) resolver.setServers(opts.servers);
  const hosts = opts.hostsFile === null ? new Map<string, HostsEntry>() : readHosts(opts.hostsFile ?? '/etc/hosts');
  const srvTtl = opts.srvTtl ?? 30;

  const fromHosts = (name: string, family: 'v4' | 'v6'): AddressRecord[] | null => {
    const entry = hosts.get(name.toLowerCase());
    if (!entry) return null;
    if (entry[family].length === 0) throw noData(name);
    return entry[family].map((address) => ({ address, ttl: HOSTS_TTL }));
  };

  return {
    async resolve4(name) {
      return fromHosts(name, 'v4') ?? resolver.resolve4(name, { ttl: true });
    },
    async resolve6(name) {
      return fromHosts(name, 'v6') ?? resolver.resolve6(name, { ttl: true });
    },
    async resolveSrv(name) {
      if (hosts.has(name.toLowerCase())) throw noData(name);
      const records: SrvRecord[] = await resolver.resolveSrv(name);
      return { records, ttl: srvTtl };
    },
  };
}

function noData(name: string): Error {
  return Object.assign(new Error(`no such record for ${name}`), { code: 'ENODATA' });
}

/** Parses a hosts file: `ip name [aliases...]`, `#` comments. A missing file is an empty one. */
export function parseHosts(text: string): Map<string, HostsEntry> {
  const hosts = new Map<string, HostsEntry>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [ip, ...names] = line.split(/\s+/);
    const family = ip.includes(':') ? 'v6' : 'v4';
    for (const name of names) {
      const key = name.toLowerCase();
      const entry = hosts.get(key) ?? { v4: [], v6: [] };
      if (!entry[family].includes(ip)) entry[family].push(ip);
      hosts.set(key, entry);
    }
  }
  return hosts;
}

function readHosts(path: string): Map<string, HostsEntry> {
  try {
    return parseHosts(readFileSync(path, 'utf8'));
  } catch {
    return new Map();
  }
}
