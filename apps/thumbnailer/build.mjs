// Bundles the Lambda entry (src/lambda.ts) and its workspace packages into one ESM file,
// dist/index.mjs, for the container image, and the migration function's entry (src/migrate.ts),
// which ships in the same image, into dist/migrate.mjs. sharp stays external: its native libvips binaries
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
  entryPoints: [
    { in: new URL('src/lambda.ts', here).pathname, out: 'index' },
    { in: new URL('src/migrate.ts', here).pathname, out: 'migrate' },
  ],
  outdir: new URL('dist', here).pathname,
  outExtension: { '.js': '.mjs' },
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
  minifySyntax: true,
  metafile: true,
  logLevel: 'warning',
});

for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (output.entryPoint)
    console.log(`${file}: ${(output.bytes / 1024).toFixed(0)} KB (sharp ${sharpVersion} external)`);
}
