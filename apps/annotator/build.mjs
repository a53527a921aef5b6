// Bundles the Lambda entry point into dist/index.mjs (handler "index.handler"). Everything is
// bundled except sharp, whose native libvips binaries are installed into the image for linux-x64
// by the Dockerfile from dist/package.json, which pins the version this workspace tests against.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

// sharp's exports map hides its package.json from require.resolve; the workspace link does not.
const sharpManifest = new URL('./node_modules/sharp/package.json', import.meta.url);
const sharpVersion = JSON.parse(await readFile(sharpManifest, 'utf8')).version;

await rm('dist', { recursive: true, force: true });
await mkdir('dist');
const result = await build({
  entryPoints: ['src/lambda.ts'],
  outfile: 'dist/index.mjs',
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  // The offline vision models (LOCAL_ANNOTATOR=vision) are loaded lazily and only without a Gemini
  // key; they are not in the Lambda image, whose annotator is Gemini. Without them a local Lambda
  // falls back to the facts-only analyser and says so (see README).
  external: ['sharp', '@vladmandic/human', '@tensorflow/*', 'nsfwjs', '@gutenye/*', 'onnxruntime-node'],
  // Some bundled CommonJS dependencies call require() and read __dirname; ESM has neither.
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
      'const require = __createRequire(import.meta.url);',
      'const __filename = __fileURLToPath(import.meta.url);',
      "const __dirname = __fileURLToPath(new URL('.', import.meta.url));",
    ].join('\n'),
  },
  sourcemap: 'linked',
  legalComments: 'linked',
  minify: true,
  keepNames: true,
  metafile: true,
  logLevel: 'warning',
});
await writeFile(
  'dist/package.json',
  `${JSON.stringify({ name: 'annotator-lambda', private: true, type: 'module', dependencies: { sharp: sharpVersion } }, null, 2)}\n`,
);
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(
  `dist/index.mjs built (${(bytes / 1024 / 1024).toFixed(1)} MiB with source map), sharp ${sharpVersion} external`,
);
