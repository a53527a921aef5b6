import {
  ACCEPTED_FIXTURES,
  damagedImages,
  LIBRARY_WORDS,
  REFUSED_FIXTURE_REASONS,
  REFUSED_FIXTURES,
} from '@annot/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_MARKER } from '../src/index.ts';
import { type Backend, SETUPS, upload, workerFor } from './setups.ts';
import { fixtureBytes } from './support.ts';

for (const setup of SETUPS) {
  describe.runIf(setup.available)(`annotation worker on ${setup.name}: every fixture`, () => {
    let backend: Backend;
    beforeAll(async () => {
      backend = await setup.open();
    });
    afterAll(() => backend?.close());
    beforeEach(() => backend.gemini.reset());

    it.each(ACCEPTED_FIXTURES.map((f) => [f.name, f.type] as const))(
      'Gemini describes %s and the row records annotator and model',
      async (name, type) => {
        const bytes = await fixtureBytes(name);
        const { key, event } = await upload(backend, bytes, name, type);
        const worker = workerFor(backend, 'gemini');
        backend.gemini.enqueue({ kind: 'structured', caption: `A description of ${name}.` });

        const outcome = await worker.handle(event, { requestId: 'req-fixture' });

        expect(outcome).toEqual({ status: 'completed', key });
        expect(await backend.repository.getByOriginalKey(key)).toMatchObject({
          annotationStatus: 'completed',
          annotation: `A description of ${name}.`,
          annotator: 'gemini',
          annotationModel: 'gemini-3.5-flash',
          annotationError: null,
        });
        expect(backend.gemini.requests).toHaveLength(1);
        const sent = backend.gemini.requests[0]!;
        expect(sent.model).toBe('gemini-3.5-flash');
        expect(sent.images[0]!.mimeType).toBe('image/jpeg');
      },
    );

    it.each(ACCEPTED_FIXTURES.map((f) => [f.name, f.type] as const))(
      'the local annotator describes %s, marked as local',
      async (name, type) => {
        const bytes = await fixtureBytes(name);
        const { key, event } = await upload(backend, bytes, name, type);

        expect(await workerFor(backend, 'local').handle(event)).toEqual({ status: 'completed', key });

        const row = await backend.repository.getByOriginalKey(key);
        expect(row).toMatchObject({
          annotationStatus: 'completed',
          annotator: 'local',
          annotationModel: 'local-analysis-v1',
        });
        expect(row?.annotation?.startsWith(LOCAL_MARKER)).toBe(true);
      },
    );

    it.each(
      REFUSED_FIXTURES.flatMap((name) => (['gemini', 'local'] as const).map((kind) => [name, kind] as const)),
    )(
      '%s is recorded as failed with a reason by the %s annotator, without a model call',
      async (name, kind) => {
        const bytes = await fixtureBytes(name);
        const { key, event } = await upload(backend, bytes, name, 'application/octet-stream');

        const outcome = await workerFor(backend, kind).handle(event);

        expect(outcome).toMatchObject({
          status: 'failed',
          key,
          reason: REFUSED_FIXTURE_REASONS[name],
        });
        const row = await backend.repository.getByOriginalKey(key);
        expect(row).toMatchObject({ annotationStatus: 'failed', annotation: null });
        expect(row?.annotationError).toBe(REFUSED_FIXTURE_REASONS[name]);
        expect(backend.gemini.requests).toHaveLength(0);
      },
    );

    it.each(damagedImages().map((d) => [d.name, d] as const))(
      '%s is recorded as failed in plain words, without a model call',
      async (_name, damaged) => {
        const { key, event } = await upload(backend, damaged.bytes, 'broken', 'application/octet-stream');

        const outcome = await workerFor(backend, 'gemini').handle(event);

        expect(outcome.status).toBe('failed');
        expect(outcome.reason).toMatch(/^The file is (incomplete|damaged|not a readable image)/);
        expect(outcome.reason).not.toMatch(LIBRARY_WORDS);
        expect((await backend.repository.getByOriginalKey(key))?.annotationError).toBe(outcome.reason);
        expect(backend.gemini.requests).toHaveLength(0);
      },
    );
  });
}
