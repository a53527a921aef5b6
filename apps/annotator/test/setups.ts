/**
 * The two real back ends the handler tests run against (from @annot/worker-runtime/testing): the
 * embedded default (SQLite + a directory) and the AWS shape (MariaDB + s3rver on loopback), each
 * with a loopback server speaking Gemini's REST protocol.
 */
import type { Storage } from '@annot/storage';
import { type FakeGemini, startFakeGemini } from '@annot/testing';
import { recordingLogger, rowsWithKey, type TestBackend, testBackends } from '@annot/worker-runtime/testing';
import { createAnnotationWorker, createAnnotator } from '../src/index.ts';
import { geminiTestEnv, settingsFrom } from './support.ts';

export { uploadOriginal as upload } from '@annot/worker-runtime/testing';

export interface Backend extends TestBackend {
  readonly gemini: FakeGemini;
}

export interface Setup {
  readonly name: string;
  readonly available: boolean;
  open(): Promise<Backend>;
}

export const SETUPS: Setup[] = (await testBackends('annotator')).map((setup) => ({
  ...setup,
  async open() {
    const backend = await setup.open();
    const gemini = await startFakeGemini();
    return {
      ...backend,
      gemini,
      async close() {
        await gemini.stop();
        await backend.close();
      },
    };
  },
}));

/**
 * A worker over a back end with a recording logger: the local annotator by default, or Gemini
 * (pointed at the back end's loopback server, small delays) with `kind: 'gemini'`; `storage`
 * replaces the back end's (say, to act at one step of a run).
 */
export function workerFor(
  backend: Backend,
  kind: 'local' | 'gemini',
  env: Record<string, string> = {},
  storage: Storage = backend.storage,
) {
  const gemini = kind === 'gemini' ? geminiTestEnv(backend.gemini.baseUrl) : {};
  // The facts-only analyser: these tests are about the worker, not the models (see vision.test.ts).
  const settings = settingsFrom({ LOCAL_ANNOTATOR: 'facts', ...backend.env, ...gemini, ...env });
  const logger = recordingLogger();
  const annotator = createAnnotator(settings);
  const worker = createAnnotationWorker({
    storage,
    repository: backend.repository,
    annotator,
    settings,
    logger,
  });
  return { ...worker, annotator, logger };
}

/** Every row for a key: duplicates would show here. */
export const rowsFor = (backend: Backend, key: string) => rowsWithKey(backend, key);
