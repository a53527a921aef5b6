import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@annot/testing';
import { describe, expect, it } from 'vitest';

/** Where each workspace package lives, by name. */
const PACKAGE_DIRS: Record<string, string> = {
  '@annot/config': 'packages/config',
  '@annot/db': 'packages/db',
  '@annot/events': 'packages/events',
  '@annot/image-rules': 'packages/image-rules',
  '@annot/object-keys': 'packages/object-keys',
  '@annot/storage': 'packages/storage',
  '@annot/testing': 'packages/testing',
  '@annot/worker-runtime': 'packages/worker-runtime',
  '@annot/annotator': 'apps/annotator',
  '@annot/thumbnailer': 'apps/thumbnailer',
};

/** The workspace packages a package needs at run time, its own runtime dependencies' included. */
function runtimeWorkspaceDeps(dir: string, seen = new Set<string>()): Set<string> {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, dir, 'package.json'), 'utf8'));
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    const depDir = PACKAGE_DIRS[name];
    if (!name.startsWith('@annot/') || !depDir || seen.has(depDir)) continue;
    seen.add(depDir);
    runtimeWorkspaceDeps(depDir, seen);
  }
  return seen;
}

describe('the web image', () => {
  const dockerfile = readFileSync(path.join(repoRoot, 'apps/web/Dockerfile'), 'utf8');
  const copied = [...dockerfile.matchAll(/^COPY (?:--from=\S+ )?(\S+) /gm)].map((m) => m[1]!);

  it('copies the sources of exactly the workspace packages the web app runs', () => {
    const packages = copied
      .filter((source) => source.startsWith('packages/'))
      .map((s) => s.replace(/\/src$/, ''));
    expect(new Set(packages)).toEqual(runtimeWorkspaceDeps('apps/web'));
  });

  it('copies nothing of either worker, and the web app depends on neither', () => {
    expect(copied.filter((source) => source.startsWith('apps/') && !source.startsWith('apps/web/'))).toEqual(
      [],
    );
    const deps = runtimeWorkspaceDeps('apps/web');
    expect(deps).not.toContain('apps/annotator');
    expect(deps).not.toContain('apps/thumbnailer');
    expect(deps).not.toContain('packages/worker-runtime');
  });
});
