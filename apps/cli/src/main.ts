// `archway`: start (all-in-one), control-plane, data-plane, migrations up.
import { ARCHWAY_VERSION, loadSettings, settingEnvNames, type Settings } from '@archway/config';
import { createLogger, type Logger } from '@archway/telemetry';
import { parseArgs, UsageError } from './args';
import { appMain, spawnRole, superviseChildren, waitForPort } from './processes';

const USAGE = `archway ${ARCHWAY_VERSION}: a Kong-compatible API gateway

Usage: archway <command> [--setting value ...]

Commands:
  start            all-in-one: control plane + one data plane (embedded Postgres unless ARCHWAY_DATABASE_URL)
  control-plane    Admin API (8001), config store and sync server (8005)
  data-plane       proxy (8000) and status (8100), configured by a control plane
  migrations up    apply database migrations and exit
  version          print the version

Every setting is an environment variable and a flag (ARCHWAY_PROXY_LISTEN = --proxy-listen):
  ${settingEnvNames().join('\n  ')}
`;

/** What `migrations up` uses of the control plane, loaded at run time from the build. */
interface ControlPlaneModule {
  openDatabase(settings: Settings, logger: Logger, opts: { migrate: boolean }): Promise<{ close(): Promise<void> }>;
}

function fail(message: string): never {
  process.stderr.write(`archway: ${message}\n`);
  process.exit(1);
}

async function startAllInOne(env: NodeJS.ProcessEnv): Promise<void> {
  // the all-in-one's cluster port defaults to loopback: its data plane is local
  const cpEnv = { ...env, ARCHWAY_CLUSTER_LISTEN: env.ARCHWAY_CLUSTER_LISTEN || '127.0.0.1:8005' };
  const settings = loadSettings('all-in-one', cpEnv);
  const cp = spawnRole('control-plane', cpEnv);
  const cluster = settings.clusterListen;
  try {
    // migrations and the embedded database's first initialisation can take a while
    await waitForPort(cluster.host, cluster.port, cp, 120_000);
  } catch (err) {
    if (cp.exitCode === null) cp.kill('SIGTERM');
    fail((err as Error).message);
  }
  const dpEnv = {
    ...env,
    ARCHWAY_CLUSTER_CONTROL_PLANE: env.ARCHWAY_CLUSTER_CONTROL_PLANE || `${cluster.host === '0.0.0.0' ? '127.0.0.1' : cluster.host}:${cluster.port}`,
  };
  const dp = spawnRole('data-plane', dpEnv);
  superviseChildren([cp, dp]);
}

async function migrationsUp(env: NodeJS.ProcessEnv): Promise<void> {
  const settings = loadSettings('control-plane', env);
  const logger = createLogger({ level: settings.logLevel });
  // loaded at run time: the CLI composes the apps, it does not link them
  const cp = require(appMain('control-plane').replace(/main\.js$/, 'index.js')) as ControlPlaneModule;
  const db = await cp.openDatabase(settings, logger, { migrate: true });
  await db.close();
  process.stdout.write('migrations are up to date\n');
}

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) fail(err.message);
    throw err;
  }
  const env = { ...process.env, ...parsed.env };
  const [cmd, sub] = parsed.command;
  if (parsed.help || cmd === undefined || cmd === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  try {
    switch (cmd) {
      case 'start':
        return await startAllInOne(env);
      case 'control-plane':
      case 'data-plane':
        loadSettings(cmd, env); // fail fast, in this process, on a bad setting
        return superviseChildren([spawnRole(cmd, env)]);
      case 'migrations':
        if (sub !== 'up') fail(`unknown migrations command '${sub ?? ''}' (try: archway migrations up)`);
        return await migrationsUp(env);
      case 'version':
        process.stdout.write(`${ARCHWAY_VERSION}\n`);
        return;
      default:
        fail(`unknown command '${cmd}' (see archway --help)`);
    }
  } catch (err) {
    fail((err as Error).message);
  }
}
