/**
 * Where the Docker build contexts are. Both this source file (infra/src) and the bundle Pulumi
 * runs (infra/dist) sit two levels below the repository root, whatever the working directory.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ImageBuild {
  /** Build context, relative to the repository root. */
  readonly context: string;
  /** Dockerfile, relative to the repository root. */
  readonly dockerfile: string;
}

/**
 * The web image builds from the repository root (it needs the workspace packages); each Lambda
 * image builds from its app directory, whose `dist/` the workspace build (`pnpm turbo run build`)
 * must have produced first.
 */
export const IMAGE_BUILDS = {
  web: { context: '.', dockerfile: 'apps/web/Dockerfile' },
  annotator: { context: 'apps/annotator', dockerfile: 'apps/annotator/Dockerfile' },
  thumbnailer: { context: 'apps/thumbnailer', dockerfile: 'apps/thumbnailer/Dockerfile' },
} as const satisfies Record<string, ImageBuild>;

export type ImageName = keyof typeof IMAGE_BUILDS;

export function absolute(relative: string): string {
  return path.join(REPO_ROOT, relative);
}

/**
 * A path of the repository as Docker gets it: relative to the working directory Pulumi runs the
 * program in (the repository root, where Pulumi.yaml is, so `apps/annotator`), never absolute,
 * since the build inputs are part of the image's identity and a checkout at another path would
 * otherwise rebuild and replace every image.
 */
export function contextPath(relative: string, cwd = process.cwd()): string {
  return path.relative(cwd, absolute(relative)) || '.';
}
