// ip-restriction (kong/plugins/ip-restriction/handler.lua, Kong 3.9): refuses clients by IP or CIDR.
// `deny` is checked first and wins; when `allow` is set, only its addresses pass. The lists are
// compiled once into node:net BlockLists (prefix matching, IPv4 and IPv6).
import { BlockList, isIP } from 'node:net';
import type { PluginHandler } from '@archway/pipeline';
import { ipRestrictionSchema } from './schema';

interface IpRestrictionState {
  deny: BlockList | null;
  allow: BlockList | null;
  status: number;
  /** null: Kong's "IP address not allowed: <ip>" */
  message: string | null;
}

/** null for an empty list (Kong skips it) */
export function compileIpList(list: readonly string[] | null): BlockList | null {
  if (!list?.length) return null;
  const blocks = new BlockList();
  for (const entry of list) {
    const [ip, bits] = entry.split('/');
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) blocks.addAddress(ip, family);
    else blocks.addSubnet(ip, Number(bits), family);
  }
  return blocks;
}

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** the client's address as Kong shows it (an IPv4-mapped IPv6 address is its IPv4) */
function clientAddress(ip: string): { ip: string; family: 'ipv4' | 'ipv6' } | null {
  const v4 = MAPPED_V4.exec(ip)?.[1] ?? ip;
  const family = isIP(v4);
  return family ? { ip: v4, family: family === 6 ? 'ipv6' : 'ipv4' } : null;
}

export const ipRestrictionHandler: PluginHandler<IpRestrictionState> = {
  name: ipRestrictionSchema.name,
  priority: ipRestrictionSchema.priority,
  version: ipRestrictionSchema.version,
  configure(config) {
    return {
      deny: compileIpList(config.deny as string[] | null),
      allow: compileIpList(config.allow as string[] | null),
      status: (config.status as number | null) ?? 403,
      message: (config.message as string | null) ?? null,
    };
  },
  access(ctx, s) {
    const client = clientAddress(ctx.clientIp);
    if (!client) return ctx.error(403, 'Cannot identify the client IP address, unix domain sockets are not supported.');
    const refused = (s.deny?.check(client.ip, client.family) ?? false) || (s.allow !== null && !s.allow.check(client.ip, client.family));
    if (refused) ctx.error(s.status, s.message ?? `IP address not allowed: ${client.ip}`);
  },
};
