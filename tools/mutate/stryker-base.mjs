// The settings every mutation-testing module shares (see MUTATION.md); each package's
// stryker.<module>.config.mjs names what it mutates and which of its own tests run.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * @param {string} module the module's name (reports go to .stryker/<module>/)
 * @param {string} packageDir the package the config lives in (Stryker's working directory)
 * @param {{ mutate: string[], vitestConfig?: string, concurrency?: number, timeoutMS?: number, ignoreStatic?: boolean }} options
 */
export function strykerConfig(module, packageDir, options) {
  const out = path.relative(packageDir, path.join(root, '.stryker', module));
  return {
    $schema: path.relative(
      packageDir,
      path.join(root, 'node_modules/@stryker-mutator/core/schema/stryker-schema.json'),
    ),
    packageManager: 'pnpm',
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    // `related: false`: the test files are the package's own (or the list in vitestConfig), not
    // every test that imports a mutated file.
    vitest: { ...(options.vitestConfig && { configFile: options.vitestConfig }), related: false },
    mutate: options.mutate,
    coverageAnalysis: 'perTest',
    // The machine is shared (2 cores, several agents at once).
    concurrency: options.concurrency ?? 2,
    // A mutant that hangs (say, a loop whose exit was mutated) is cut off after the tests' own time
    // plus this much; the tests that use MariaDB and s3rver need the margin on a busy machine.
    timeoutMS: options.timeoutMS ?? 10_000,
    // Static mutants (code run at import or in a beforeAll, not inside one test) need every test;
    // a module may skip them when that makes its run too long (MUTATION.md says which).
    ignoreStatic: options.ignoreStatic ?? false,
    reporters: ['clear-text', 'json', 'progress'],
    clearTextReporter: { allowColor: false, logTests: false },
    jsonReporter: { fileName: path.join(out, 'report.json') },
    incremental: true,
    incrementalFile: path.join(out, 'incremental.json'),
    tempDirName: path.join(out, 'tmp'),
    cleanTempDir: 'always',
  };
}
