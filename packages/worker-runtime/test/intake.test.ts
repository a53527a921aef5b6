import { buildObjectCreatedEvent, buildStageRequestedEvent, InvalidEventError } from '@annot/events';
import { describe, expect, it } from 'vitest';
import { receiveEvent } from '../src/index.ts';
import { recordingLogger } from './support/recording-logger.ts';

const ORIGINALS = 'annot-originals';
const KEY = 'uploads/0123456789abcdef0123456789abcdef/photo.jpg';

function intake(event: unknown, requestId: string | undefined = 'req-1') {
  const logger = recordingLogger();
  const attempt = () =>
    receiveEvent(event, { logger, originalsBucket: ORIGINALS, requestId, stage: 'thumbnail' });
  return { logger, attempt };
}

describe('receiveEvent', () => {
  it('accepts an upload in the originals bucket, with the log context, and logs nothing', () => {
    const event = buildObjectCreatedEvent({ id: 'ev-7', bucket: ORIGINALS, key: KEY, size: 12 });
    const { logger, attempt } = intake(event);
    const result = attempt();
    expect(result).toMatchObject({
      accepted: true,
      event: { bucket: ORIGINALS, key: KEY, size: 12, eventId: 'ev-7' },
      log: { key: KEY, requestId: 'req-1', eventId: 'ev-7' },
    });
    expect(logger.entries).toEqual([]);
  });

  it('accepts the event as a JSON string, as a local redrive may send it', () => {
    const event = JSON.stringify(buildObjectCreatedEvent({ bucket: ORIGINALS, key: KEY }));
    expect(intake(event).attempt()).toMatchObject({ accepted: true, event: { key: KEY } });
  });

  it.each([
    ['no object', { source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: 'x' } } }],
    ['not JSON', 'definitely not an event'],
    ['null', null],
  ])(
    'throws InvalidEventError for a malformed event (%s) after one error line with a summary',
    (_, event) => {
      const { logger, attempt } = intake(event, 'req-bad');
      expect(attempt).toThrow(InvalidEventError);
      expect(logger.entries).toHaveLength(1);
      const [entry] = logger.entries;
      expect(entry).toMatchObject({ level: 'error', message: 'Rejected a malformed event' });
      expect(entry?.attributes.requestId).toBe('req-bad');
      expect(entry?.attributes.error).toEqual(expect.any(String));
      expect(entry?.attributes.event).toEqual(expect.objectContaining({ type: expect.any(String) }));
    },
  );

  it('puts the bucket of a malformed event in the summary, so it can be found', () => {
    const malformed = {
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: 'x' } },
    };
    const { logger, attempt } = intake(malformed);
    expect(attempt).toThrow(/detail\.object/);
    expect(logger.entries[0]?.attributes.event).toMatchObject({
      source: 'aws.s3',
      bucket: 'x',
      key: undefined,
    });
  });

  it('skips an event for another bucket, with a warning', () => {
    const event = buildObjectCreatedEvent({ id: 'ev-8', bucket: 'someone-elses', key: KEY });
    const { logger, attempt } = intake(event);
    const reason = 'bucket someone-elses is not the originals bucket';
    expect(attempt()).toEqual({ accepted: false, outcome: { status: 'skipped', key: KEY, reason } });
    expect(logger.entries).toEqual([
      {
        level: 'warn',
        message: 'Skipped an event for an object that is not an upload',
        attributes: { key: KEY, requestId: 'req-1', eventId: 'ev-8', bucket: 'someone-elses', reason },
      },
    ]);
  });

  it.each([
    ['a key outside uploads/', 'exports/a.jpg'],
    ['a folder marker under uploads/', 'uploads/0123/'],
    ['a key that only starts like uploads', 'uploads-old/a.jpg'],
  ])('skips %s', (_, key) => {
    const { logger, attempt } = intake(buildObjectCreatedEvent({ bucket: ORIGINALS, key }));
    expect(attempt()).toEqual({
      accepted: false,
      outcome: { status: 'skipped', key, reason: 'key is not an object under uploads/' },
    });
    expect(logger.entries.map((e) => e.level)).toEqual(['warn']);
  });
});

describe('receiveEvent: keys that cannot be a stored object', () => {
  it.each([
    ['a path that climbs out of its directory', 'uploads/../../etc/passwd', 'a path segment starts with "."'],
    ['a key over 1024 bytes', `uploads/${'é'.repeat(600)}.jpg`, 'longer than 1024 bytes'],
    ['an empty segment', 'uploads/0123//a.jpg', 'empty path segment'],
    ['a control character', 'uploads/0123/a\u0000.jpg', 'contains a control character'],
  ])('skips %s for good, with one warning', (_, key, why) => {
    const event = buildObjectCreatedEvent({ id: 'ev-9', bucket: ORIGINALS, key });
    const { logger, attempt } = intake(event);
    const reason = `key cannot be a stored object: ${why}`;
    expect(attempt()).toEqual({ accepted: false, outcome: { status: 'skipped', key, reason } });
    expect(logger.entries).toEqual([
      {
        level: 'warn',
        message: 'Skipped an event whose key cannot be a stored object',
        attributes: {
          // Cut for the log line: an over-long key is not copied whole.
          key: key.length > 200 ? `${key.slice(0, 200)}…` : key,
          requestId: 'req-1',
          eventId: 'ev-9',
          reason,
        },
      },
    ]);
  });
});

describe('receiveEvent: retry events ("Stage Requested")', () => {
  const retry = (stage: 'thumbnail' | 'annotation', overrides: { bucket?: string; key?: string } = {}) =>
    buildStageRequestedEvent({
      id: 'ev-r',
      bucket: overrides.bucket ?? ORIGINALS,
      key: overrides.key ?? KEY,
      stage,
    });

  it("accepts a retry of the worker's own stage, with the raw key, and logs nothing", () => {
    const key = 'uploads/0123456789abcdef0123456789abcdef/red flower+1.jpg';
    const { logger, attempt } = intake(retry('thumbnail', { key }));
    expect(attempt()).toEqual({
      accepted: true,
      event: expect.objectContaining({ trigger: 'retry', bucket: ORIGINALS, key, stage: 'thumbnail' }),
      log: { key, requestId: 'req-1', eventId: 'ev-r', trigger: 'retry' },
    });
    expect(logger.entries).toEqual([]);
  });

  it('marks an upload event as such', () => {
    const event = buildObjectCreatedEvent({ bucket: ORIGINALS, key: KEY });
    expect(intake(event).attempt()).toMatchObject({ accepted: true, event: { trigger: 'upload' } });
  });

  it("skips a retry of the other worker's stage, with a warning", () => {
    const { logger, attempt } = intake(retry('annotation'));
    const reason = "a retry of the annotation stage, not of this worker's thumbnail";
    expect(attempt()).toEqual({ accepted: false, outcome: { status: 'skipped', key: KEY, reason } });
    expect(logger.entries).toEqual([
      {
        level: 'warn',
        message: "Skipped a retry of another worker's stage",
        attributes: { key: KEY, requestId: 'req-1', eventId: 'ev-r', trigger: 'retry', reason },
      },
    ]);
  });

  it.each([
    [
      'another bucket',
      retry('thumbnail', { bucket: 'someone-elses' }),
      'bucket someone-elses is not the originals bucket',
    ],
    [
      'a key outside uploads/',
      retry('thumbnail', { key: 'exports/a.jpg' }),
      'key is not an object under uploads/',
    ],
    [
      'a key that cannot be stored',
      retry('thumbnail', { key: 'uploads/../../etc/passwd' }),
      'key cannot be a stored object: a path segment starts with "."',
    ],
  ])('skips a retry for %s, as it would an upload event', (_, event, reason) => {
    expect(intake(event).attempt()).toMatchObject({
      accepted: false,
      outcome: { status: 'skipped', reason },
    });
  });

  it('throws InvalidEventError for a malformed retry (unknown stage), after one error line', () => {
    const event = retry('thumbnail');
    const bad = { ...event, detail: { ...event.detail, stage: 'everything' } };
    const { logger, attempt } = intake(bad);
    expect(attempt).toThrow(InvalidEventError);
    expect(logger.entries).toHaveLength(1);
    expect(logger.entries[0]).toMatchObject({ level: 'error', message: 'Rejected a malformed event' });
    expect(logger.entries[0]?.attributes.event).toMatchObject({
      source: 'annot.web',
      bucket: ORIGINALS,
      key: KEY,
    });
  });
});
