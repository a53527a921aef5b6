import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fixturePath, NODE_FLAGS } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadFile } from '../src/upload/multipart.ts';

// bench:upload-floor's layer servers (src/upload/layer-server.ts) must do their layer's work: the
// ones that need no database are checked here, on the directory store.
describe('the upload floor layer servers', () => {
  let dataDir: string;
  let flowers: Buffer<ArrayBuffer>;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'layer-server-'));
    flowers = await readFile(fixturePath('flowers.jpeg'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  async function withLayer(name: string, run: (url: string) => Promise<void>): Promise<void> {
    const child = fork(new URL('../src/upload/layer-server.ts', import.meta.url), [name], {
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        ORIGINALS_BUCKET: '',
        THUMBNAILS_BUCKET: '',
      },
      execArgv: [...NODE_FLAGS],
    });
    try {
      const [{ port }] = (await once(child, 'message')) as [{ port: number }];
      await run(`http://127.0.0.1:${port}`);
    } finally {
      child.kill();
    }
  }

  const stored = async () => {
    const root = path.join(dataDir, 'blobs', 'originals');
    const files = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
    return files.filter((f) => f.isFile() && !f.name.startsWith('.'));
  };

  for (const name of ['node-http', 'fastify-multipart']) {
    it(`${name} reads the upload and answers 201, storing nothing`, async () => {
      await withLayer(name, async (url) => {
        const result = await uploadFile(url, 'flowers.jpeg', flowers, 'image/jpeg');
        expect(result.status).toBe(201);
      });
      expect(await stored()).toEqual([]);
    });
  }

  it('put stores the file it was sent', async () => {
    await withLayer('put', async (url) => {
      const result = await uploadFile(url, 'flowers.jpeg', flowers, 'image/jpeg');
      expect(result.status).toBe(201);
    });
    const files = (await stored()).filter((f) => f.name.endsWith('.jpg'));
    expect(files).toHaveLength(1);
    const file = files[0]!;
    expect((await readFile(path.join(file.parentPath, file.name))).equals(flowers)).toBe(true);
  });

  it('refuses a layer it does not know', async () => {
    const child = fork(new URL('../src/upload/layer-server.ts', import.meta.url), ['nonsense'], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    expect(code).not.toBe(0);
    expect(stderr).toContain('unknown layer "nonsense"');
  });
});
