// Bundles the Lambda entry (src/lambda.ts) and its workspace packages into dist/index.mjs for the
// container image, minified, with the code that runs only when needed (the Secrets Manager client,
// the AWS SDK's other credential providers) split into dist/chunks/, so a cold start compiles only
// what init runs (see BENCHMARKS.md, "Lambda cold starts"). sharp stays external: its native libvips binaries
// are installed into the image for linux-x64 (see Dockerfile), at the version pinned there,
// which must be the version the code was built and tested with.
import { readFile, rm } from 'node:fs/promises';
import { build } from 'esbuild';
import sharp from 'sharp';

const here = new URL('.', import.meta.url);

const sharpVersion = sharp.versions.sharp;
const dockerfile = await readFile(new URL('Dockerfile', here), 'utf8');
const pinned = /^ARG SHARP_VERSION=(\S+)$/m.exec(dockerfile)?.[1];
if (pinned !== sharpVersion) {
  throw new Error(
    `Dockerfile pins sharp ${pinned}, but the installed sharp is ${sharpVersion}: update ARG SHARP_VERSION`,
  );
}

await rm(new URL('dist', here), { recursive: true, force: true });
const result = await build({
  entryPoints: { index: new URL('src/lambda.ts', here).pathname },
  outdir: new URL('dist', here).pathname,
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  external: ['sharp'],
  // Some bundled CommonJS dependencies (mysql2, the AWS SDK) call require() for Node built-ins
  // and use __dirname; an ES module has neither.
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
      "import { dirname as __pathDirname } from 'node:path';",
      'const require = __createRequire(import.meta.url);',
      'const __filename = __fileURLToPath(import.meta.url);',
      'const __dirname = __pathDirname(__filename);',
    ].join('\n'),
  },
  sourcemap: 'linked',
  legalComments: 'linked',
  minify: true,
  // Class and function names stay readable in stack traces and logged errors.
  keepNames: true,
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.mjs'));
const bytes = outputs.find(([, o]) => o.entryPoint)?.[1].bytes ?? 0;
const chunks = outputs.reduce((sum, [, o]) => sum + o.bytes, 0) - bytes;
console.log(
  `dist/index.mjs: ${(bytes / 1024).toFixed(0)} KB, loaded on demand (dist/chunks): ${(chunks / 1024).toFixed(0)} KB (sharp ${sharpVersion} external)`,
);
