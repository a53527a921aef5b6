import type { AnnotationResult, ImageRepository } from '@annot/db';
import { recordingLogger } from '@annot/worker-runtime/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AnnotatorConfigurationError, createAnnotationWorker, createAnnotator } from '../src/index.ts';
import { type Backend, SETUPS, upload } from './setups.ts';
import { fixtureBytes, geminiTestEnv, settingsFrom } from './support.ts';

/**
 * The worker path with Gemini's structured answers, on both real back ends. The repository is the
 * back end's own; what the worker hands to recordAnnotation is kept too, so the tags, text and
 * safety flag are checked whether or not this branch's schema stores them yet.
 */
for (const setup of SETUPS) {
  describe.runIf(setup.available)(`annotation worker on ${setup.name}: structured Gemini answers`, () => {
    let backend: Backend;
    let photo: Uint8Array;
    beforeAll(async () => {
      backend = await setup.open();
      photo = await fixtureBytes('2569067123_aca715a2ee_o.jpg');
    });
    afterAll(() => backend?.close());
    beforeEach(() => backend.gemini.reset());

    function geminiWorker() {
      const recorded: AnnotationResult[] = [];
      const real = backend.repository;
      const repository = new Proxy(real, {
        get(target, property) {
          if (property === 'recordAnnotation') {
            return (result: AnnotationResult) => {
              recorded.push(result);
              return target.recordAnnotation(result);
            };
          }
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }) as ImageRepository;
      const settings = settingsFrom({ ...backend.env, ...geminiTestEnv(backend.gemini.baseUrl) });
      const annotator = createAnnotator(settings, { sleep: async () => {} });
      const logger = recordingLogger();
      const worker = createAnnotationWorker({
        storage: backend.storage,
        repository,
        annotator,
        settings,
        logger,
      });
      return { worker, recorded, logger };
    }

    it('records the caption, and hands the tags, text in the image and safety flag to the repository', async () => {
      const { key, event } = await upload(backend, photo, 'saw.jpg', 'image/jpeg');
      const { worker, recorded } = geminiWorker();
      backend.gemini.enqueue({
        kind: 'structured',
        caption: 'A person cuts a board with a circular saw.',
        tags: [
          { label: 'circular saw', confidence: 0.93 },
          { label: 'Person', confidence: 0.9 },
        ],
        textInImage: 'BLACK+DECKER',
        safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'LOW' }],
      });

      expect(await worker.handle(event)).toEqual({ status: 'completed', key });

      expect(recorded).toEqual([
        {
          originalKey: key,
          annotation: 'A person cuts a board with a circular saw.',
          annotator: 'gemini',
          model: 'gemini-3.5-flash',
          tags: [
            { label: 'circular saw', confidence: 0.93, source: 'gemini' },
            { label: 'person', confidence: 0.9, source: 'gemini' },
          ],
          textInImage: 'BLACK+DECKER',
          safety: 'safe',
        },
      ]);
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'completed',
        annotation: 'A person cuts a board with a circular saw.',
        annotator: 'gemini',
        annotationError: null,
      });
    });

    it('retries malformed JSON, then records the row as failed with a reason', async () => {
      const { key, event } = await upload(backend, photo, 'malformed.jpg', 'image/jpeg');
      const { worker, recorded } = geminiWorker();
      const notJson = { kind: 'text', text: 'A circular saw, I think.' } as const;
      backend.gemini.enqueue(notJson, notJson, notJson);

      expect(await worker.handle(event)).toMatchObject({ status: 'failed', key });

      expect(backend.gemini.requests).toHaveLength(3);
      expect(recorded).toEqual([]);
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'failed',
        annotationError: "The file was not described: Gemini's answers were not a usable description",
        annotation: null,
      });
    });

    it('never records a truncated answer: a retry with a larger budget completes the row', async () => {
      const { key, event } = await upload(backend, photo, 'truncated.jpg', 'image/jpeg');
      const { worker, recorded } = geminiWorker();
      backend.gemini.enqueue(
        {
          kind: 'structured',
          caption: 'A person cuts a board with a circular saw.',
          finishReason: 'MAX_TOKENS',
        },
        { kind: 'structured', caption: 'A person cuts a board with a circular saw.' },
      );

      expect(await worker.handle(event)).toEqual({ status: 'completed', key });

      expect(recorded.map((r) => r.annotation)).toEqual(['A person cuts a board with a circular saw.']);
      expect(backend.gemini.requests).toHaveLength(2);
    });

    it('never stores partial text: a MAX_TOKENS answer that parses, every time, leaves a failed row without a description', async () => {
      const { key, event } = await upload(backend, photo, 'clipped.jpg', 'image/jpeg');
      const { worker, recorded } = geminiWorker();
      const clipped = {
        kind: 'json',
        value: { caption: 'A lake with a wooden pier and', tags: [], textInImage: null },
        finishReason: 'MAX_TOKENS',
      } as const;
      backend.gemini.enqueue(clipped, clipped, clipped);

      expect(await worker.handle(event)).toMatchObject({ status: 'failed', key });

      expect(recorded).toEqual([]);
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'failed',
        annotation: null,
        annotationError:
          "The file was not described: Gemini's answers were cut off before they were complete",
      });
    });

    it.each([
      [
        '400 INVALID_ARGUMENT caused by the request',
        {
          kind: 'error',
          status: 400,
          message: 'Invalid JSON payload received. Unknown name "thinking_level": Cannot find field.',
        },
      ],
      [
        '429 with a quota limit of 0',
        { kind: 'error', status: 429, message: 'You exceeded your current quota.', quotaLimit: 0 },
      ],
    ] as const)('%s: thrown for a redrive, the row left pending, not failed', async (_, behaviour) => {
      const { key, event } = await upload(backend, photo, 'misconfigured.jpg', 'image/jpeg');
      const { worker, recorded } = geminiWorker();
      backend.gemini.enqueue(behaviour);

      await expect(worker.handle(event)).rejects.toBeInstanceOf(AnnotatorConfigurationError);

      expect(backend.gemini.requests).toHaveLength(1);
      expect(recorded).toEqual([]);
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'pending',
        annotationError: null,
      });
    });

    it('records a safety block as failed, after one request', async () => {
      const { key, event } = await upload(backend, photo, 'blocked.jpg', 'image/jpeg');
      const { worker } = geminiWorker();
      backend.gemini.enqueue({ kind: 'blocked', blockReason: 'SAFETY' });

      expect(await worker.handle(event)).toMatchObject({ status: 'failed', key });

      expect(backend.gemini.requests).toHaveLength(1);
      expect(await backend.repository.getByOriginalKey(key)).toMatchObject({
        annotationStatus: 'failed',
        annotationError: 'The file was not described: Gemini declined to describe it (SAFETY)',
      });
    });
  });
}
