import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The file under DATA_DIR that holds the generated secret. */
export const COOKIE_SECRET_FILE = 'cookie-secret';

/** 32 random bytes, as 64 hex characters (what @fastify/cookie's HMAC-SHA256 signs with). */
const SECRET_BYTES = 32;

/**
 * The uploader cookie's signing secret when COOKIE_SECRET_ARN is unset: generated once under
 * `dataDir` and reused across restarts. Created atomically: the secret is written to a temp file
 * of mode 0600 and hard-linked to its name, which fails if another process (a cluster worker
 * starting at the same moment) got there first, and then that one's secret is read. So every
 * process of one DATA_DIR signs with the same secret, and no reader ever sees a half-written file.
 */
export async function localCookieSecret(dataDir: string): Promise<string> {
  const file = path.join(dataDir, COOKIE_SECRET_FILE);
  const existing = await readSecret(file);
  if (existing) return existing;
  await mkdir(dataDir, { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${randomBytes(SECRET_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(temp, { force: true });
  }
  const secret = await readSecret(file);
  if (!secret)
    throw new Error(`The cookie secret in ${file} is empty: delete the file to generate a new one`);
  return secret;
}

async function readSecret(file: string): Promise<string | null> {
  try {
    return (await readFile(file, 'utf8')).trim() || null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
