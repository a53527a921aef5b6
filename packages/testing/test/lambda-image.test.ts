import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLambdaImage, invokeLambdaImage, LambdaInitError } from '../src/lambda-image.ts';

/**
 * buildLambdaImage carries out a Dockerfile's steps (here a small one, with no npm install) and
 * invokeLambdaImage loads the handler in a fresh process: the same machinery the worker bundles'
 * image tests and `pnpm bench:coldstart` use.
 */
let dir: string;
let context: string;
let cacheDir: string;
let runs: string;

const DOCKERFILE = `# A two-flavour image, chosen by a build argument.
ARG FLAVOUR=plain

FROM public.ecr.aws/lambda/nodejs:24 AS flavour-plain
WORKDIR \${LAMBDA_TASK_ROOT}
COPY dist/package.json ./
RUN mkdir -p node_modules/dep \\
  && echo '{"name":"dep","type":"module","exports":"./index.mjs"}' > node_modules/dep/package.json \\
  && echo "export const dep = 'plain';" > node_modules/dep/index.mjs \\
  && echo plain >> "$RUNS_FILE" \\
  && npm cache clean --force
ENV KIND=plain

FROM public.ecr.aws/lambda/nodejs:24 AS flavour-fancy
WORKDIR \${LAMBDA_TASK_ROOT}
RUN mkdir -p node_modules/dep \\
  && echo '{"name":"dep","type":"module","exports":"./index.mjs"}' > node_modules/dep/package.json \\
  && echo "export const dep = 'fancy';" > node_modules/dep/index.mjs \\
  && echo fancy >> "$RUNS_FILE"
ENV KIND=fancy OTHER="two words"

FROM flavour-\${FLAVOUR}
COPY dist/index.mjs ./
COPY dist/chunks ./chunks/
COPY dist/index.mjs.LEGAL.txt* ./
CMD ["index.handler"]
`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lambda-image-test-'));
  context = path.join(dir, 'app');
  cacheDir = path.join(dir, 'cache');
  runs = path.join(dir, 'runs');
  await mkdir(path.join(context, 'dist', 'chunks'), { recursive: true });
  await writeFile(path.join(context, 'Dockerfile'), DOCKERFILE);
  await writeFile(path.join(context, '.dockerignore'), '*\n!dist\ndist/secret.txt\n');
  await writeFile(path.join(context, 'dist', 'package.json'), '{"type":"module"}\n');
  await writeFile(path.join(context, 'dist', 'secret.txt'), 'not for the image\n');
  await writeFile(path.join(context, 'notes.txt'), 'not for the image either\n');
  await writeFile(
    path.join(context, 'dist', 'chunks', 'extra.mjs'),
    "export const extra = 'from a chunk';\n",
  );
  await writeFile(
    path.join(context, 'dist', 'index.mjs'),
    [
      "import { dep } from 'dep';",
      "import { extra } from './chunks/extra.mjs';",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the bundle's own source text
      'if (process.env.FAIL_INIT) throw new Error(`init failed: ${process.env.FAIL_INIT}`);',
      'export const handler = async (event, context) => ({ dep, extra, kind: process.env.KIND, other: process.env.OTHER, event, requestId: context.awsRequestId });',
    ].join('\n'),
  );
  process.env.RUNS_FILE = runs;
});

afterAll(async () => {
  delete process.env.RUNS_FILE;
  await rm(dir, { recursive: true, force: true });
});

describe('buildLambdaImage and invokeLambdaImage', () => {
  it('carries out the stage the build argument picks and runs the handler on each event', async () => {
    const image = await buildLambdaImage({ context, cacheDir });
    try {
      expect(image.env).toEqual({ KIND: 'plain' });
      expect(image.handlerFile).toBe('index.mjs');

      const report = await invokeLambdaImage(image, {
        env: { GREETING: 'hi' },
        events: [{ n: 1 }, { n: 2 }],
      });

      expect(report.results.map((r) => r.outcome)).toEqual([
        {
          dep: 'plain',
          extra: 'from a chunk',
          kind: 'plain',
          event: { n: 1 },
          requestId: expect.any(String),
        },
        {
          dep: 'plain',
          extra: 'from a chunk',
          kind: 'plain',
          event: { n: 2 },
          requestId: expect.any(String),
        },
      ]);
      expect(report.readyMs).toBeGreaterThan(report.bootMs);
      expect(report.results[0]!.finishedMs).toBeGreaterThanOrEqual(report.readyMs);
      expect(report.maxRssBytes).toBeGreaterThan(0);
      // .dockerignore leaves dist/secret.txt out of the build context.
      await expect(readFile(path.join(image.taskRoot, 'chunks', 'extra.mjs'), 'utf8')).resolves.toContain(
        'chunk',
      );
      await expect(readFile(path.join(image.taskRoot, 'secret.txt'))).rejects.toThrow();
    } finally {
      await image.remove();
    }
  });

  it('reuses the installed layer while its inputs are unchanged, as Docker caches it', async () => {
    await rm(runs, { force: true });
    const again = await buildLambdaImage({ context, cacheDir });
    await again.remove();
    await expect(readFile(runs, 'utf8')).rejects.toThrow();

    await writeFile(path.join(context, 'dist', 'package.json'), '{"type":"module","changed":true}\n');
    const rebuilt = await buildLambdaImage({ context, cacheDir });
    await rebuilt.remove();
    expect(await readFile(runs, 'utf8')).toBe('plain\n');
    // The new layer replaced the old one.
    expect(await readdir(cacheDir)).toHaveLength(1);
  });

  it('builds the other stage with --build-arg, with its own ENV', async () => {
    const image = await buildLambdaImage({ context, cacheDir, buildArgs: { FLAVOUR: 'fancy' } });
    try {
      expect(image.env).toEqual({ KIND: 'fancy', OTHER: 'two words' });
      const report = await invokeLambdaImage(image, { env: {}, events: [{}] });
      expect(report.results[0]!.outcome).toMatchObject({ dep: 'fancy', kind: 'fancy', other: 'two words' });
    } finally {
      await image.remove();
    }
  });

  it('rejects with LambdaInitError, with the output, when the module fails to load', async () => {
    const image = await buildLambdaImage({ context, cacheDir });
    try {
      const failed = invokeLambdaImage(image, { env: { FAIL_INIT: 'on purpose' }, events: [{}] });
      await expect(failed).rejects.toBeInstanceOf(LambdaInitError);
      await expect(failed).rejects.toThrow(/init failed: on purpose/);
    } finally {
      await image.remove();
    }
  });
});
