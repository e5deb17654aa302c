import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARCHWAY_VERSION, SettingsError, flagToEnv, loadSettings } from './index';

describe('settings', () => {
  it("uses Kong's listen defaults, with the cluster port on loopback for all-in-one only", () => {
    const aio = loadSettings('all-in-one', {});
    expect(aio.proxyListen).toEqual({ host: '0.0.0.0', port: 8000 });
    expect(aio.proxySslListen).toEqual({ host: '0.0.0.0', port: 8443 });
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

  it('reads the TLS proxy listener from ARCHWAY_PROXY_SSL_LISTEN (--proxy-ssl-listen) and names it when invalid', () => {
    expect(loadSettings('data-plane', { ARCHWAY_PROXY_SSL_LISTEN: '127.0.0.1:9443' }).proxySslListen).toEqual({ host: '127.0.0.1', port: 9443 });
    expect(flagToEnv('--proxy-ssl-listen')).toBe('ARCHWAY_PROXY_SSL_LISTEN');
    expect(() => loadSettings('data-plane', { ARCHWAY_PROXY_SSL_LISTEN: '8443' })).toThrow(/ARCHWAY_PROXY_SSL_LISTEN: expected host:port/);
    expect(loadSettings('data-plane', { ARCHWAY_PROXY_SSL_LISTEN: 'off' }).proxySslListen).toBeNull();
  });

  it('asks for deltas unless ARCHWAY_CLUSTER_INCREMENTAL_SYNC (--cluster-incremental-sync) is off, and names it when invalid', () => {
    expect(loadSettings('data-plane', {}).clusterIncrementalSync).toBe(true);
    expect(loadSettings('data-plane', { ARCHWAY_CLUSTER_INCREMENTAL_SYNC: 'off' }).clusterIncrementalSync).toBe(false);
    expect(loadSettings('data-plane', { ARCHWAY_CLUSTER_INCREMENTAL_SYNC: 'on' }).clusterIncrementalSync).toBe(true);
    expect(flagToEnv('--cluster-incremental-sync')).toBe('ARCHWAY_CLUSTER_INCREMENTAL_SYNC');
    expect(() => loadSettings('data-plane', { ARCHWAY_CLUSTER_INCREMENTAL_SYNC: 'no' })).toThrow(/ARCHWAY_CLUSTER_INCREMENTAL_SYNC: expected on or off/);
  });

  it('maps CLI flags to the same variables', () => {
    expect(flagToEnv('--proxy-listen')).toBe('ARCHWAY_PROXY_LISTEN');
    expect(flagToEnv('--cluster-control-plane')).toBe('ARCHWAY_CLUSTER_CONTROL_PLANE');
    expect(flagToEnv('--nope')).toBeNull();
  });

  describe('admin tokens', () => {
    const dir = mkdtempSync(join(tmpdir(), 'archway-tokens-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };

    it('leaves the Admin API open when neither setting is given', () => {
      const s = loadSettings('control-plane', {});
      expect(s.adminTokens).toEqual([]);
      expect(s.adminTokensFile).toBeNull();
    });

    it('reads name:role:token entries from ARCHWAY_ADMIN_TOKENS, a token keeping any colons after the role', () => {
      const s = loadSettings('control-plane', { ARCHWAY_ADMIN_TOKENS: 'ci:write:s3cret, dash:read:a:b:c ,' });
      expect(s.adminTokens).toEqual([
        { name: 'ci', role: 'write', token: 's3cret' },
        { name: 'dash', role: 'read', token: 'a:b:c' },
      ]);
    });

    it('reads a tokens file with comments and blank lines, together with the variable', () => {
      const path = file('ok.tokens', '# operators\n\nops:write:op-token\r\n  # audit\naudit:read:audit-token\n');
      const s = loadSettings('control-plane', { ARCHWAY_ADMIN_TOKENS: 'ci:write:ci-token', ARCHWAY_ADMIN_TOKENS_FILE: path });
      expect(s.adminTokensFile).toBe(path);
      expect(s.adminTokens.map((t) => `${t.name}:${t.role}`)).toEqual(['ci:write', 'ops:write', 'audit:read']);
    });

    it('names the setting and the entry of a bad token, without echoing the secret', () => {
      const load = (tokens: string) => () => loadSettings('control-plane', { ARCHWAY_ADMIN_TOKENS: tokens });
      expect(load('ci:write:ok,ci:admin:hunter2')).toThrow(/^ARCHWAY_ADMIN_TOKENS: entry 2 \('ci:…'\): the role must be read or write/);
      expect(load('ci:write:')).toThrow(/ARCHWAY_ADMIN_TOKENS: entry 1 .*the token is empty/);
      expect(load(':read:x')).toThrow(/entry 1 .*the name is empty/);
      for (const bad of ['hunter2', 'ci:hunter2', 'ci:admin:hunter2']) {
        expect(load(bad)).toThrow(SettingsError);
        expect(load(bad)).not.toThrow(/hunter2/);
      }
    });

    it('names the file and the line of a bad entry there, and a file it cannot read', () => {
      const path = file('bad.tokens', '# header\nok:read:fine\nbroken-line-secret\n');
      expect(() => loadSettings('control-plane', { ARCHWAY_ADMIN_TOKENS_FILE: path })).toThrow(
        new RegExp(`^ARCHWAY_ADMIN_TOKENS_FILE: ${path} line 3: `),
      );
      expect(() => loadSettings('control-plane', { ARCHWAY_ADMIN_TOKENS_FILE: path })).not.toThrow(/broken-line-secret/);
      expect(() => loadSettings('control-plane', { ARCHWAY_ADMIN_TOKENS_FILE: join(dir, 'missing') })).toThrow(
        /ARCHWAY_ADMIN_TOKENS_FILE: cannot read .*ENOENT/,
      );
    });

    it('refuses one secret given to two names or roles', () => {
      const path = file('dup.tokens', 'other:read:same\n');
      expect(() => loadSettings('control-plane', { ARCHWAY_ADMIN_TOKENS: 'ci:write:same', ARCHWAY_ADMIN_TOKENS_FILE: path })).toThrow(
        /the tokens of 'ci' and 'other' are the same/,
      );
      expect(loadSettings('control-plane', { ARCHWAY_ADMIN_TOKENS: 'ci:write:same,ci:write:same' }).adminTokens).toHaveLength(1);
    });

    it('maps --admin-tokens-file to its variable', () => {
      expect(flagToEnv('--admin-tokens-file')).toBe('ARCHWAY_ADMIN_TOKENS_FILE');
    });
  });

  it('reports the same version as the package', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
    expect(ARCHWAY_VERSION).toBe(pkg.version);
  });
});
