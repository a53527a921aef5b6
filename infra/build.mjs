// Bundles the Pulumi program and the policy pack to JavaScript, so Pulumi runs them without
// ts-node (Pulumi.yaml sets typescript: false). @pulumi/* stay external: Pulumi's runtime and the
// provider SDKs must be the installed copies.
import { build } from 'esbuild';

const shared = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  sourcemap: true,
  external: ['@pulumi/*'],
  logLevel: 'warning',
};

await Promise.all([
  // The program: ESM, like the package (Pulumi imports it as a module).
  build({ ...shared, entryPoints: ['src/index.ts'], outfile: 'dist/index.js', format: 'esm' }),
  // The policy pack: CommonJS, because Pulumi loads policy packs with require().
  build({ ...shared, entryPoints: ['policy/index.ts'], outfile: 'policy/dist/index.cjs', format: 'cjs' }),
]);
