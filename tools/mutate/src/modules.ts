import path from 'node:path';

/** The repository's root. */
export const root = path.resolve(import.meta.dirname, '../../..');

export interface Module {
  readonly name: string;
  /** The package directory, relative to the root; its stryker.<name>.config.mjs is the config. */
  readonly dir: string;
  /** The files it mutates, relative to the root (also what `--changed` looks for). */
  readonly files: readonly string[];
}

/** Every scoped module; the same lists as the `mutate` of each config. */
export const MODULES: readonly Module[] = [
  { name: 'object-keys', dir: 'packages/object-keys', files: ['src/index.ts'] },
  {
    name: 'events',
    dir: 'packages/events',
    files: ['src/object-created.ts', 'src/stage-requested.ts', 'src/pattern.ts'],
  },
  {
    name: 'worker-runtime',
    dir: 'packages/worker-runtime',
    files: ['src/intake.ts', 'src/stage.ts', 'src/failure.ts'],
  },
  { name: 'web-auth', dir: 'apps/web', files: ['src/auth/permissions.ts'] },
  { name: 'web-upload', dir: 'apps/web', files: ['src/upload/accept-file.ts', 'src/upload/duplicates.ts'] },
  { name: 'db-retry', dir: 'packages/db', files: ['src/retry.ts', 'src/mysql.ts'] },
  {
    name: 'db-repository',
    dir: 'packages/db',
    files: ['src/repository.ts', 'src/queries.ts', 'src/dialect.ts', 'src/sqlite.ts'],
  },
].map((m) => ({ ...m, files: m.files.map((f) => `${m.dir}/${f}`) }));
