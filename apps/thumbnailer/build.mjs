// Bundles the Lambda entry (src/lambda.ts) and its workspace packages into dist/index.mjs for the
// container image, and the migration function's entry (src/migrate.ts), which ships in the same image,
// into dist/migrate.mjs; minified, with the code that runs only when needed (the Secrets Manager client,
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
  entryPoints: {
    index: new URL('src/lambda.ts', here).pathname,
    migrate: new URL('src/migrate.ts', here).pathname,
  },
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

// Per entry: the entry and the chunks it imports statically, and the chunks only a dynamic import()
// reaches (loaded when that code first runs; the database driver is one, loaded during init).
const outputs = result.metafile.outputs;
const sizeOf = (files) =>
  `${Math.round(files.reduce((sum, file) => sum + outputs[file].bytes, 0) / 1024)} KiB`;
const code = Object.keys(outputs).filter((file) => file.endsWith('.mjs'));
for (const entry of code.filter((file) => outputs[file].entryPoint && !file.includes('/chunks/'))) {
  const atInit = new Set();
  const visit = (file) => {
    if (atInit.has(file)) return;
    atInit.add(file);
    for (const i of outputs[file].imports)
      if (i.kind === 'import-statement' && outputs[i.path]) visit(i.path);
  };
  visit(entry);
  console.log(`${entry} with its static imports ${sizeOf([...atInit])}`);
}
console.log(`dist: ${sizeOf(code)} of code in all; sharp ${sharpVersion} external`);
