import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DirectoryObjectStore, resolveObjectPath } from '../src/index.ts';
import { objectStoreContract } from './contract/index.ts';

objectStoreContract('directory adapter', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'storage-dir-'));
  const store = new DirectoryObjectStore({ root, bucket: 'originals', urlPrefix: '/files' });
  return {
    store,
    // Temp files anywhere under the root (object tree and sidecar tree).
    async leftovers() {
      const entries = await readdir(root, { recursive: true });
      return entries.filter((entry) => path.basename(entry).startsWith('.tmp-'));
    },
    renotifies: false,
    // A process killed mid-put leaves its temp file beside the object's place.
    async abandonWrite(key) {
      const dir = path.dirname(resolveObjectPath(root, 'originals', key));
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, `.tmp-${randomUUID()}`), 'half an object');
    },
    // What the web app's file route does: /files/<bucket>/<encoded key> -> resolveObjectPath.
    async fetchUrl(url) {
      const match = /^\/files\/([^/]+)\/(.+)$/.exec(url);
      if (!match) throw new Error(`not a file route URL: ${url}`);
      const key = match[2]!.split('/').map(decodeURIComponent).join('/');
      return readFile(resolveObjectPath(root, match[1]!, key));
    },
    async close() {
      await rm(root, { recursive: true, force: true });
    },
  };
});
