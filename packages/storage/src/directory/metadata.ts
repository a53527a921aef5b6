import type { Stats } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from './atomic-write.ts';

/**
 * Per-object metadata lives in a sidecar JSON file under `<root>/.meta/<bucket>/<key>`, a tree that
 * mirrors the objects' but sits outside every bucket directory: no key can name a sidecar, and a
 * file route serving `<root>/<bucket>/...` can never serve one. (".meta" is not a valid bucket name.)
 */
export interface Sidecar {
  readonly contentType?: string;
  readonly cacheControl?: string;
  /** Hex MD5 of the object's bytes. */
  readonly md5: string;
  /** The size the sidecar was written for; a mismatch means the sidecar is stale and is ignored. */
  readonly size: number;
}

export function sidecarPath(root: string, bucket: string, key: string): string {
  return path.resolve(root, '.meta', bucket, ...key.split('/'));
}

export async function writeSidecar(file: string, sidecar: Sidecar): Promise<void> {
  await writeFileAtomically(file, JSON.stringify(sidecar));
}

export async function readSidecar(file: string, stats: Stats): Promise<Sidecar | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Sidecar;
    return parsed.size === stats.size ? parsed : undefined;
  } catch {
    return undefined; // a torn or foreign sidecar: fall back to derived metadata
  }
}

export async function removeSidecar(file: string): Promise<void> {
  await rm(file, { force: true });
}

const TYPES_BY_EXTENSION: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** The content type for a file without a sidecar: from its extension, else undefined. */
export function contentTypeFromName(key: string): string | undefined {
  return TYPES_BY_EXTENSION[path.extname(key).toLowerCase()];
}

/** An ETag for a file without a sidecar: size and modification time, which change on every rewrite. */
export function derivedEtag(stats: Stats): string {
  return `${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}`;
}

export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
