/**
 * The Docker build contexts (issue 13, §6): the web image's context, the repository root, sends
 * only what the image needs, so unrelated changes neither rebuild it nor make a preview build it;
 * the thumbnailer's context carries the migration function's bundle.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** Docker's .dockerignore rules: the last matching pattern wins; a match on a directory covers its files. */
function sentToDocker(ignoreFile: string) {
  const rules = ignoreFile
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const regex = new RegExp(
        `^${pattern
          .split(/(\*\*\/?|\*|\?)/)
          .map((part) =>
            part === '**/'
              ? '(.*/)?'
              : part === '**'
                ? '.*'
                : part === '*'
                  ? '[^/]*'
                  : part === '?'
                    ? '[^/]'
                    : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
          )
          .join('')}$`,
      );
      return { negated, regex };
    });
  return (file: string): boolean => {
    const prefixes = file.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (prefixes.some((p) => rule.regex.test(p))) excluded = !rule.negated;
    return !excluded;
  };
}

describe('the web image context (the repository root)', () => {
  const sent = sentToDocker(read('.dockerignore'));

  it.each([
    'package.json',
    'pnpm-lock.yaml',
    'pnpm-workspace.yaml',
    'apps/annotator/package.json',
    'infra/package.json',
    'packages/db/package.json',
    'packages/db/src/index.ts',
    'apps/web/src/main.ts',
    'apps/web/views/gallery.eta',
    'apps/web/public/app.js',
  ])('sends %s', (file) => {
    expect(sent(file)).toBe(true);
  });

  it.each([
    'README.md',
    'BENCHMARKS.md',
    'infra/src/index.ts',
    'apps/annotator/src/lambda.ts',
    'apps/thumbnailer/dist/index.mjs',
    'apps/web/test/upload.test.ts',
    'packages/db/test/mariadb.test.ts',
    'packages/db/node_modules/mysql2/index.js',
    'node_modules/.pnpm/x/index.js',
    '.git/HEAD',
    '.tools/bin/node',
    'bench/gallery.bench.ts',
    'tests/faults/run.test.ts',
    '.env',
  ])('leaves out %s', (file) => {
    expect(sent(file)).toBe(false);
  });

  it('sends everything apps/web/Dockerfile copies', () => {
    const sources = [...read('apps/web/Dockerfile').matchAll(/^COPY (?!--from)(\S+)/gm)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources.filter((s) => s !== '.')) expect(sent(`${source}/x.ts`)).toBe(true);
  });
});

describe('the thumbnailer image context', () => {
  it('sends the migration function bundle, which the Dockerfile copies next to the handler', () => {
    const sent = sentToDocker(read('apps/thumbnailer/.dockerignore'));
    // Both entries import the code they share from dist/chunks/, which must travel with them.
    for (const file of ['dist/index.mjs', 'dist/migrate.mjs', 'dist/chunks/chunk-ABC123.mjs']) {
      expect(sent(file)).toBe(true);
    }
    expect(sent('src/migrate.ts')).toBe(false);
    expect(read('apps/thumbnailer/Dockerfile')).toMatch(
      /^COPY dist\/migrate\.mjs dist\/migrate\.mjs\.map \.\/$/m,
    );
    expect(read('apps/thumbnailer/Dockerfile')).toMatch(/^COPY dist\/chunks \.\/chunks\/$/m);
    expect(read('apps/thumbnailer/build.mjs')).toMatch(/migrate: new URL\('src\/migrate\.ts', here\)/);
  });
});
