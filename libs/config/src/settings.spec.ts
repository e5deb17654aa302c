import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHWAY_VERSION, flagToEnv, loadSettings } from './index';

describe('settings', () => {
  it("uses Kong's listen defaults, with the cluster port on loopback for all-in-one only", () => {
    const aio = loadSettings('all-in-one', {});
    expect(aio.proxyListen).toEqual({ host: '0.0.0.0', port: 8000 });
    expect(aio.adminListen).toEqual({ host: '127.0.0.1', port: 8001 });
    expect(aio.clusterListen).toEqual({ host: '127.0.0.1', port: 8005 });
    expect(aio.statusListen).toEqual({ host: '127.0.0.1', port: 8100 });
    expect(loadSettings('control-plane', {}).clusterListen.host).toBe('0.0.0.0');
    expect(aio.databaseUrl).toBeNull();
    expect(aio.prefix).toBe('./.archway');
  });

  it('reads every setting from its ARCHWAY_* variable', () => {
    const s = loadSettings('data-plane', {
      ARCHWAY_PROXY_LISTEN: '127.0.0.1:9000',
      ARCHWAY_CLUSTER_CONTROL_PLANE: 'cp1:8005, cp2:8005',
      ARCHWAY_ZONE: 'a',
      ARCHWAY_DATABASE_URL: 'postgres://u@h:5432/db',
      ARCHWAY_LOG_LEVEL: 'debug',
    });
    expect(s.proxyListen).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(s.clusterControlPlane).toEqual(['cp1:8005', 'cp2:8005']);
    expect(s.zone).toBe('a');
    expect(s.databaseUrl).toBe('postgres://u@h:5432/db');
    expect(s.logLevel).toBe('debug');
  });

  it('names the setting and the expected form when a value is invalid', () => {
    expect(() => loadSettings('data-plane', { ARCHWAY_PROXY_LISTEN: '8000' })).toThrow(/ARCHWAY_PROXY_LISTEN: expected host:port/);
    expect(() => loadSettings('data-plane', { ARCHWAY_PROXY_LISTEN: '0.0.0.0:70000' })).toThrow(/ARCHWAY_PROXY_LISTEN/);
    expect(() => loadSettings('data-plane', { ARCHWAY_LOG_LEVEL: 'loud' })).toThrow(/ARCHWAY_LOG_LEVEL/);
    expect(() => loadSettings('control-plane', { ARCHWAY_DATABASE_URL: 'mysql://x' })).toThrow(/ARCHWAY_DATABASE_URL/);
  });

  it('maps CLI flags to the same variables', () => {
    expect(flagToEnv('--proxy-listen')).toBe('ARCHWAY_PROXY_LISTEN');
    expect(flagToEnv('--cluster-control-plane')).toBe('ARCHWAY_CLUSTER_CONTROL_PLANE');
    expect(flagToEnv('--nope')).toBeNull();
  });

  it('reports the same version as the package', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
    expect(ARCHWAY_VERSION).toBe(pkg.version);
  });
});
