// Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over the
// target (atomic on POSIX), fsync the directory. Readers see the old content or the new, never a mix.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Writes `data` so that `file` is always either the old or the new content, even across a crash.
 * `data` may be a sequence of pieces (written one after another, each an await: see snapshot-file.ts).
 */
export async function writeFileAtomic(file: string, data: string | Iterable<string>): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'w', 0o600);
    try {
      if (typeof data === 'string') await fh.writeFile(data);
      else for (const piece of data) await fh.write(piece);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  // make the rename itself durable; not every platform can fsync a directory, which is fine
  const dh = await open(dir, 'r').catch(() => null);
  if (dh) await dh.sync().catch(() => undefined).finally(() => dh.close());
}
