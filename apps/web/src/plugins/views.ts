import { fileURLToPath } from 'node:url';
import view from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyInstance } from 'fastify';

export const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));

/**
 * eta through @fastify/view in production mode: each template is compiled once and cached, so a
 * page render is a plain function call. `<%= %>` escapes HTML (autoEscape is eta's default), so
 * every user-supplied string goes through it; `<%~ %>` is used only for markup we build.
 */
export async function setupViews(
  app: FastifyInstance,
  options: { context: Record<string, unknown> },
): Promise<void> {
  const eta = new Eta({ views: VIEWS_DIR, cache: true, autoEscape: true, autoTrim: [false, 'nl'] });
  await app.register(view, {
    engine: { eta },
    templates: VIEWS_DIR,
    production: true,
    defaultContext: options.context,
  });
}
