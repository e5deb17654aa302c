import { parseCidr, type Cidr } from '@archway/config';
import { compileTrustedIps, ipv4ToInt } from './trusted-ips';

const cidrs = (...list: string[]): Cidr[] => list.map((t) => parseCidr(t) as Cidr);

describe('trusted IPs matcher', () => {
  it('trusts no one with an empty list (Kong default)', () => {
    const trusted = compileTrustedIps([]);
    expect(trusted('127.0.0.1')).toBe(false);
    expect(trusted('::1')).toBe(false);
  });

  it('matches IPv4 addresses inside the listed blocks and single addresses exactly', () => {
    const trusted = compileTrustedIps(cidrs('10.0.0.0/8', '192.168.1.7', '172.16.0.0/12'));
    expect(trusted('10.255.3.4')).toBe(true);
    expect(trusted('192.168.1.7')).toBe(true);
    expect(trusted('192.168.1.8')).toBe(false);
    expect(trusted('172.31.255.255')).toBe(true);
    expect(trusted('172.32.0.0')).toBe(false);
    expect(trusted('11.0.0.1')).toBe(false);
    expect(trusted('::1')).toBe(false);
  });

  it('matches IPv6 addresses inside the listed blocks', () => {
    const trusted = compileTrustedIps(cidrs('2001:db8::/32', '::1', 'fe80::/10'));
    expect(trusted('2001:db8:ffff::1')).toBe(true);
    expect(trusted('2001:db9::1')).toBe(false);
    expect(trusted('::1')).toBe(true);
    expect(trusted('febf::1')).toBe(true);
    expect(trusted('fec0::1')).toBe(false);
    expect(trusted('10.0.0.1')).toBe(false);
  });

  it('trusts everyone with 0.0.0.0/0,::/0, and one family with its /0 alone', () => {
    const everyone = compileTrustedIps(cidrs('0.0.0.0/0', '::/0'));
    expect(everyone('8.8.8.8') && everyone('2001:4860::8888')).toBe(true);
    const v4 = compileTrustedIps(cidrs('0.0.0.0/0'));
    expect(v4('8.8.8.8')).toBe(true);
    expect(v4('::1')).toBe(false);
    const v6 = compileTrustedIps(cidrs('::/0'));
    expect(v6('::1')).toBe(true);
    expect(v6('8.8.8.8')).toBe(false);
  });

  it('does not take a malformed address for an IPv4 one', () => {
    expect(ipv4ToInt('1.2.3.4')).toBe(0x01020304);
    expect(ipv4ToInt('255.255.255.255')).toBe(0xffffffff);
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '', 'a.b.c.d']) expect(ipv4ToInt(bad)).toBe(-1);
    expect(compileTrustedIps(cidrs('0.0.0.0/0'))('1.2.3')).toBe(false);
  });
});
