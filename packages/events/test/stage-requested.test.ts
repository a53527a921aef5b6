import { describe, expect, it } from 'vitest';
import {
  buildObjectCreatedEvent,
  buildStageRequestedEvent,
  InvalidEventError,
  isStageRequestedEvent,
  LocalEventBus,
  matchesPattern,
  objectCreatedPattern,
  parseStageRequestedEvent,
  STAGE_REQUESTED_DETAIL_TYPE,
  STAGE_REQUESTED_SOURCE,
  stageRequestedEntry,
  stageRequestedPattern,
} from '../src/index.ts';

const BUCKET = 'originals-bucket';
const KEY = 'uploads/0123456789abcdef/red flower+1%.jpg';

describe('the retry event', () => {
  it('has a source and detail-type of its own', () => {
    expect(STAGE_REQUESTED_SOURCE).toBe('annot.web');
    expect(STAGE_REQUESTED_DETAIL_TYPE).toBe('Stage Requested');
  });

  it('is the PutEvents entry the web tier sends, with the key raw (not percent-encoded)', () => {
    const entry = stageRequestedEntry({ bucket: BUCKET, key: KEY, stage: 'thumbnail' });
    expect(entry).toEqual({
      Source: 'annot.web',
      DetailType: 'Stage Requested',
      Detail: JSON.stringify({ bucket: { name: BUCKET }, object: { key: KEY }, stage: 'thumbnail' }),
    });
  });

  it('round-trips through the builder and the parser, key unchanged', () => {
    const event = buildStageRequestedEvent({ id: 'ev-1', bucket: BUCKET, key: KEY, stage: 'annotation' });
    expect(parseStageRequestedEvent(event)).toEqual({
      eventId: 'ev-1',
      time: event.time,
      bucket: BUCKET,
      key: KEY,
      stage: 'annotation',
    });
    expect(parseStageRequestedEvent(JSON.stringify(event)).key).toBe(KEY);
  });

  it('parses the envelope EventBridge delivers for a PutEvents entry', () => {
    const entry = stageRequestedEntry({ bucket: BUCKET, key: KEY, stage: 'thumbnail' });
    const delivered = {
      version: '0',
      id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: '111122223333',
      time: '2026-01-01T00:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: JSON.parse(entry.Detail),
    };
    expect(parseStageRequestedEvent(delivered)).toMatchObject({ key: KEY, stage: 'thumbnail' });
  });

  it.each([
    ['an unknown stage', { stage: 'resize' }],
    ['an empty key', { object: { key: '' } }],
    ['no bucket', { bucket: undefined }],
  ])('refuses %s', (_label, change) => {
    const event = buildStageRequestedEvent({ bucket: BUCKET, key: KEY, stage: 'thumbnail' });
    const bad = { ...event, detail: { ...event.detail, ...change } };
    expect(() => parseStageRequestedEvent(bad)).toThrow(InvalidEventError);
  });

  it('refuses to build an event with an empty key', () => {
    expect(() => buildStageRequestedEvent({ bucket: BUCKET, key: '', stage: 'thumbnail' })).toThrow();
  });

  it('tells a retry event from an S3 event', () => {
    const retry = buildStageRequestedEvent({ bucket: BUCKET, key: KEY, stage: 'thumbnail' });
    expect(isStageRequestedEvent(retry)).toBe(true);
    expect(isStageRequestedEvent(JSON.stringify(retry))).toBe(true);
    expect(isStageRequestedEvent(buildObjectCreatedEvent({ bucket: BUCKET, key: KEY }))).toBe(false);
    expect(isStageRequestedEvent('not json')).toBe(false);
    expect(isStageRequestedEvent(null)).toBe(false);
  });
});

describe('stageRequestedPattern', () => {
  const retry = (stage: 'thumbnail' | 'annotation', overrides: { bucket?: string; key?: string } = {}) =>
    buildStageRequestedEvent({ bucket: overrides.bucket ?? BUCKET, key: overrides.key ?? KEY, stage });

  it('is the EventBridge pattern infra deploys, one per stage', () => {
    expect(stageRequestedPattern(BUCKET, 'thumbnail')).toEqual({
      source: ['annot.web'],
      'detail-type': ['Stage Requested'],
      detail: {
        bucket: { name: [BUCKET] },
        object: { key: [{ prefix: 'uploads/' }] },
        stage: ['thumbnail'],
      },
    });
  });

  it('refuses an empty bucket name', () => {
    expect(() => stageRequestedPattern('', 'thumbnail')).toThrow(/bucket/);
  });

  it('matches a retry of its own stage only', () => {
    const thumbnails = stageRequestedPattern(BUCKET, 'thumbnail');
    const annotations = stageRequestedPattern(BUCKET, 'annotation');
    expect(matchesPattern(thumbnails, retry('thumbnail'))).toBe(true);
    expect(matchesPattern(thumbnails, retry('annotation'))).toBe(false);
    expect(matchesPattern(annotations, retry('annotation'))).toBe(true);
    expect(matchesPattern(annotations, retry('thumbnail'))).toBe(false);
  });

  it.each([
    ['another bucket', retry('thumbnail', { bucket: 'thumbnails-bucket' })],
    ['a key outside uploads/', retry('thumbnail', { key: 'thumbnails/a/b.jpg' })],
    ['an S3 Object Created event', buildObjectCreatedEvent({ bucket: BUCKET, key: KEY })],
    ['another source', { ...retry('thumbnail'), source: 'someone.else' }],
  ])('does not match %s', (_label, candidate) => {
    expect(matchesPattern(stageRequestedPattern(BUCKET, 'thumbnail'), candidate)).toBe(false);
  });

  it('and the upload pattern never matches a retry', () => {
    expect(matchesPattern(objectCreatedPattern(BUCKET), retry('thumbnail'))).toBe(false);
  });

  it('routes a retry on the local bus to the one worker of its stage', async () => {
    const bus = new LocalEventBus();
    const seen: string[] = [];
    for (const stage of ['thumbnail', 'annotation'] as const) {
      bus.subscribe(stage, stageRequestedPattern(BUCKET, stage), async () => void seen.push(stage));
    }
    expect(bus.publish(retry('annotation'))).toEqual(['annotation']);
    await bus.drain();
    expect(seen).toEqual(['annotation']);
  });
});
