import { availableParallelism } from 'node:os';
import { flagToEnv, loadSettings, parseCidr, parseIp, SettingsError } from './index';

const dp = (env: Record<string, string>) => loadSettings('data-plane', env);

describe('data-plane process and downstream settings', () => {
  it("defaults to one worker per CPU, a 30 s drain, Kong's nginx timeouts and every response header", () => {
    const s = dp({});
    expect(s.workers).toBe(availableParallelism());
    expect(s.drainTimeoutMs).toBe(30_000);
    expect(s.maxHeaderSize).toBe(32 * 1024);
    expect(s.clientHeaderTimeoutMs).toBe(60_000);
    expect(s.requestTimeoutMs).toBe(300_000);
    expect(s.keepaliveTimeoutMs).toBe(60_000);
    expect(s.trustedIps).toEqual([]);
    expect(Object.values(s.headers).every(Boolean)).toBe(true);
  });

  it('reads workers as a number or auto, and refuses 0 or words', () => {
    expect(dp({ ARCHWAY_WORKERS: '1' }).workers).toBe(1);
    expect(dp({ ARCHWAY_WORKERS: 'auto' }).workers).toBe(availableParallelism());
    expect(() => dp({ ARCHWAY_WORKERS: '0' })).toThrow(/ARCHWAY_WORKERS: expected auto or a whole number from 1/);
    expect(() => dp({ ARCHWAY_WORKERS: 'many' })).toThrow(SettingsError);
    expect(flagToEnv('--workers')).toBe('ARCHWAY_WORKERS');
  });

  it('reads durations as nginx writes them, a bare number being seconds', () => {
    const s = dp({ ARCHWAY_DRAIN_TIMEOUT: '5', ARCHWAY_CLIENT_HEADER_TIMEOUT: '500ms', ARCHWAY_REQUEST_TIMEOUT: '0', ARCHWAY_KEEPALIVE_TIMEOUT: '2m' });
    expect([s.drainTimeoutMs, s.clientHeaderTimeoutMs, s.requestTimeoutMs, s.keepaliveTimeoutMs]).toEqual([5000, 500, 0, 120_000]);
    expect(() => dp({ ARCHWAY_DRAIN_TIMEOUT: 'soon' })).toThrow(/ARCHWAY_DRAIN_TIMEOUT: expected a duration such as 30s/);
    expect(flagToEnv('--drain-timeout')).toBe('ARCHWAY_DRAIN_TIMEOUT');
  });

  it('reads the header size in bytes or with a k/m suffix', () => {
    expect(dp({ ARCHWAY_MAX_HEADER_SIZE: '8k' }).maxHeaderSize).toBe(8192);
    expect(dp({ ARCHWAY_MAX_HEADER_SIZE: '16384' }).maxHeaderSize).toBe(16384);
    expect(() => dp({ ARCHWAY_MAX_HEADER_SIZE: '0' })).toThrow(/ARCHWAY_MAX_HEADER_SIZE: expected a size/);
  });

  it('reads trusted IPs and CIDR blocks of both families, and names a bad entry', () => {
    const s = dp({ ARCHWAY_TRUSTED_IPS: '10.0.0.0/8, 192.168.1.7 ,::1,2001:db8::/32,0.0.0.0/0,::/0' });
    expect(s.trustedIps.map((c) => `${c.family}:${c.prefix}`)).toEqual(['4:8', '4:32', '6:128', '6:32', '4:0', '6:0']);
    expect(() => dp({ ARCHWAY_TRUSTED_IPS: '10.0.0.0/33' })).toThrow(/ARCHWAY_TRUSTED_IPS: '10.0.0.0\/33' is not an IP address or CIDR block/);
    expect(() => dp({ ARCHWAY_TRUSTED_IPS: 'example.com' })).toThrow(SettingsError);
  });

  it("reads Kong's headers tokens, single header names and off", () => {
    expect(dp({ ARCHWAY_HEADERS: 'off' }).headers).toEqual({
      server: false, via: false, proxyLatency: false, upstreamLatency: false, responseLatency: false, requestId: false,
    });
    expect(dp({ ARCHWAY_HEADERS: 'server_tokens' }).headers).toMatchObject({ server: true, via: true, proxyLatency: false, requestId: false });
    expect(dp({ ARCHWAY_HEADERS: 'latency_tokens,X-Archway-Request-Id' }).headers).toMatchObject({
      server: false, proxyLatency: true, upstreamLatency: true, responseLatency: true, requestId: true,
    });
    expect(dp({ ARCHWAY_HEADERS: 'Via' }).headers).toMatchObject({ via: true, server: false });
    expect(() => dp({ ARCHWAY_HEADERS: 'server_tokens,X-Kong-Nope' })).toThrow(/ARCHWAY_HEADERS: unknown value 'x-kong-nope'/);
  });
});

describe('IP and CIDR parsing', () => {
  it('parses IPv4, IPv6 with :: and an embedded IPv4, and refuses the rest', () => {
    expect(parseIp('10.1.2.3')).toEqual([10, 1, 2, 3]);
    expect(parseIp('::1')).toEqual([...new Array(15).fill(0), 1]);
    expect(parseIp('::ffff:10.0.0.1')?.slice(10)).toEqual([0xff, 0xff, 10, 0, 0, 1]);
    expect(parseIp('2001:db8::8:800:200c:417a')?.slice(0, 4)).toEqual([0x20, 0x01, 0x0d, 0xb8]);
    for (const bad of ['256.0.0.1', '1.2.3', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '', 'x.y.z.w'])
      expect(parseIp(bad)).toBeNull();
    expect(parseCidr('10.0.0.0/8')).toMatchObject({ family: 4, prefix: 8 });
    expect(parseCidr('::/0')).toMatchObject({ family: 6, prefix: 0 });
    expect(parseCidr('::/129')).toBeNull();
  });
});
