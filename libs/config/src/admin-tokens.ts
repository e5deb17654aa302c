// Admin API tokens: `name:role:token` entries from ARCHWAY_ADMIN_TOKENS (comma-separated) and from
// ARCHWAY_ADMIN_TOKENS_FILE (one a line). A bad entry fails start-up, naming the setting and the entry
// but never echoing the secret.
import { readFileSync } from 'node:fs';

export type AdminRole = 'read' | 'write';

export interface AdminToken {
  /** who is calling: recorded as the actor of every write made with this token */
  name: string;
  role: AdminRole;
  token: string;
}

/** Thrown for a bad token entry; settings.ts rethrows it as a SettingsError. */
export class AdminTokenError extends Error {}

const NAME = /^[^\s:,]+$/;
const SECRET = /^\S+$/;

/** One `name:role:token`; the token is everything after the second colon (it may contain colons). */
function parseEntry(entry: string, where: string): AdminToken {
  const [name = '', role = '', ...rest] = entry.split(':');
  const token = rest.join(':');
  // the name only, and only when the entry has its three parts: anything else may be the secret itself
  const shown = rest.length > 0 ? ` ('${name}:…')` : '';
  const fail = (why: string) => new AdminTokenError(`${where}${shown}: ${why} (expected name:role:token, role read or write)`);
  if (!NAME.test(name)) throw fail('the name is empty or has a space or comma');
  if (role !== 'read' && role !== 'write') throw fail('the role must be read or write');
  if (!SECRET.test(token)) throw fail('the token is empty or has a space');
  return { name, role, token };
}

/** ARCHWAY_ADMIN_TOKENS: `ci:write:s3cret,dash:read:t0ken`. */
export function parseAdminTokenList(raw: string, setting = 'ARCHWAY_ADMIN_TOKENS'): AdminToken[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .map((entry, i) => ({ entry, i }))
    .filter(({ entry }) => entry !== '')
    .map(({ entry, i }) => parseEntry(entry, `${setting}: entry ${i + 1}`));
}

/** A tokens file's text: one entry a line, `#` comments and blank lines ignored. */
export function parseAdminTokenLines(text: string, where: string): AdminToken[] {
  const out: AdminToken[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const entry = line.trim();
    if (entry === '' || entry.startsWith('#')) return;
    out.push(parseEntry(entry, `${where} line ${i + 1}`));
  });
  return out;
}

export function readAdminTokensFile(path: string, setting = 'ARCHWAY_ADMIN_TOKENS_FILE'): AdminToken[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AdminTokenError(`${setting}: cannot read '${path}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseAdminTokenLines(text, `${setting}: ${path}`);
}

/** Both sources together; one secret may not stand for two names or roles. */
export function mergeAdminTokens(...lists: AdminToken[][]): AdminToken[] {
  const byToken = new Map<string, AdminToken>();
  for (const t of lists.flat()) {
    const seen = byToken.get(t.token);
    if (seen && (seen.name !== t.name || seen.role !== t.role))
      throw new AdminTokenError(`ARCHWAY_ADMIN_TOKENS: the tokens of '${seen.name}' and '${t.name}' are the same; give each its own`);
    byToken.set(t.token, t);
  }
  return [...byToken.values()];
}
