// Splits a stored target (`host:port`, ipv6 as `[expanded]:port`, as libs/schema normalises it) into
// what DNS and the peers need.
import { TARGET_DEFAULT_PORT } from '@archway/schema';

export interface TargetAddress {
  host: string;
  port: number;
  kind: 'ipv4' | 'ipv6' | 'name';
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function parseTarget(target: string): TargetAddress {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(target);
  if (bracketed) return { host: bracketed[1], port: portOf(bracketed[2]), kind: 'ipv6' };
  const colons = target.split(':').length - 1;
  if (colons > 1) return { host: target, port: TARGET_DEFAULT_PORT, kind: 'ipv6' };
  const m = /^(.*?)(?::(\d+))?$/.exec(target) as RegExpExecArray;
  const host = m[1];
  return { host, port: portOf(m[2]), kind: IPV4.test(host) ? 'ipv4' : 'name' };
}

function portOf(raw: string | undefined): number {
  return raw === undefined ? TARGET_DEFAULT_PORT : Number(raw);
}

/** An ip literal as DNS answers may carry it (SRV targets can be ips). */
export function isIpLiteral(host: string): boolean {
  return IPV4.test(host) || host.includes(':');
}
