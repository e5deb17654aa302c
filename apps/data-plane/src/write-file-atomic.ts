// Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over the
// target (atomic on POSIX), fsync the directory. Readers see the old content or the new, never a mix.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Writes `data` so that `file` is always either the old or the new content, even across a crash. */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(data);
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
