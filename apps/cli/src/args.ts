// Command-line parsing: a command, then `--setting value` / `--setting=value` flags that become the
// same ARCHWAY_* variables the config loader reads, so flags and env can never disagree.
import { flagToEnv } from '@archway/config';

export interface ParsedArgs {
  command: string[];
  env: Record<string, string>;
  help: boolean;
}

export class UsageError extends Error {
  readonly code = 'ARCHWAY_USAGE';
}

export function parseArgs(argv: string[]): ParsedArgs {
  const command: string[] = [];
  const env: Record<string, string> = {};
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      command.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const name = flagToEnv(flag);
    if (!name) throw new UsageError(`unknown option ${flag} (see archway --help)`);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new UsageError(`option ${flag} needs a value`);
    env[name] = value;
  }
  return { command, env, help };
}
