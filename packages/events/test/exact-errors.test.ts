import { describe, expect, it } from 'vitest';
import {
  buildObjectCreatedEvent,
  buildStageRequestedEvent,
  InvalidEventError,
  isStageRequestedEvent,
  matchesPattern,
  parseObjectCreatedEvent,
  parseStageRequestedEvent,
} from '../src/index.ts';

// Exact error messages and the matcher's edges: what a log line or a dead-letter reader sees, and
// the conditions a changed operator would let through (`pnpm mutate events`, MUTATION.md).

function thrown(fn: () => unknown): InvalidEventError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return error as InvalidEventError;
  }
  throw new Error('expected an InvalidEventError, nothing was thrown');
}

const CREATED = 'Not an S3 "Object Created" EventBridge event';
const REQUESTED = 'Not a "Stage Requested" event';
const retry = () =>
  buildStageRequestedEvent({ id: 'e', bucket: 'b', key: 'uploads/x/a.jpg', stage: 'thumbnail' });

describe('InvalidEventError', () => {
  it('is named, lists its issues after the message, and is the bare message without any', () => {
    const plain = new InvalidEventError('bad');
    expect([plain.name, plain.message, plain.issues]).toEqual(['InvalidEventError', 'bad', []]);
    const listed = new InvalidEventError('bad', ['a: x', 'b: y']);
    expect([listed.message, listed.issues]).toEqual(['bad: a: x; b: y', ['a: x', 'b: y']]);
  });
});

describe('parseObjectCreatedEvent errors', () => {
  it('says a string is not JSON, with the parser error as the cause', () => {
    const error = thrown(() => parseObjectCreatedEvent('{nope'));
    expect([error.message, error.issues]).toEqual(['Event is a string that is not JSON', []]);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('names the path of each issue, or (root)', () => {
    const root = thrown(() => parseObjectCreatedEvent(null));
    expect(root.message.startsWith(`${CREATED}: (root): `)).toBe(true);
    expect(root.issues.every((issue) => issue.startsWith('(root): '))).toBe(true);
    const event = buildObjectCreatedEvent({ bucket: 'b', key: 'uploads/x/a.jpg', size: 1, etag: 'e' });
    const nested = thrown(() =>
      parseObjectCreatedEvent({ ...event, detail: { ...event.detail, bucket: 5 } }),
    );
    expect(nested.issues).toHaveLength(1);
    expect(nested.message).toBe(`${CREATED}: ${nested.issues[0]}`);
    expect(nested.issues[0]!.startsWith('detail.bucket: ')).toBe(true);
  });

  it('refuses an empty key in those words', () => {
    const event = buildObjectCreatedEvent({ bucket: 'b', key: 'uploads/x/a.jpg', size: 1, etag: 'e' });
    const error = thrown(() =>
      parseObjectCreatedEvent({
        ...event,
        detail: { ...event.detail, object: { ...event.detail.object, key: '' } },
      }),
    );
    expect([error.message, error.issues]).toEqual([
      `${CREATED}: detail.object.key: must not be empty`,
      ['detail.object.key: must not be empty'],
    ]);
  });
});

describe('the retry event', () => {
  it('has no resources', () => {
    expect(retry().resources).toEqual([]);
  });

  it('parse errors: not JSON, (root), and the path of a wrong stage', () => {
    const json = thrown(() => parseStageRequestedEvent('{nope'));
    expect([json.message, json.issues]).toEqual(['Event is a string that is not JSON', []]);
    expect(json.cause).toBeInstanceOf(SyntaxError);
    const root = thrown(() => parseStageRequestedEvent(null));
    expect(root.message.startsWith(`${REQUESTED}: (root): `)).toBe(true);
    const event = retry();
    const stage = thrown(() =>
      parseStageRequestedEvent({ ...event, detail: { ...event.detail, stage: 'both' } }),
    );
    expect(stage.issues).toHaveLength(1);
    expect(stage.issues[0]!.startsWith('detail.stage: ')).toBe(true);
    expect(stage.message).toBe(`${REQUESTED}: ${stage.issues[0]}`);
  });

  it('isStageRequestedEvent needs both the source and the detail-type', () => {
    const event = retry();
    expect(isStageRequestedEvent(event)).toBe(true);
    expect(isStageRequestedEvent(JSON.stringify(event))).toBe(true);
    for (const other of [
      { ...event, source: 'aws.s3' },
      { ...event, 'detail-type': 'Object Created' },
      '{nope',
      'null',
      null,
      42,
      'annot.web',
    ]) {
      expect(isStageRequestedEvent(other)).toBe(false);
    }
  });
});

describe('matchesPattern, edge by edge', () => {
  it('matches only objects', () => {
    for (const event of [null, [], 'x', 1, [{ a: ['x'] }]]) expect(matchesPattern({}, event)).toBe(false);
    expect(matchesPattern({}, {})).toBe(true);
  });

  it('a nested pattern needs an object there (not a value, an array or nothing)', () => {
    const pattern = { detail: { a: ['x'] } };
    expect(matchesPattern(pattern, { detail: { a: 'x' } })).toBe(true);
    for (const detail of ['x', [{ a: 'x' }], null]) expect(matchesPattern(pattern, { detail })).toBe(false);
    expect(matchesPattern(pattern, {})).toBe(false);
  });

  it('suffix needs a string that ends so', () => {
    const pattern = { k: [{ suffix: '.jpg' }] };
    expect(matchesPattern(pattern, { k: 'a.jpg' })).toBe(true);
    expect(matchesPattern(pattern, { k: 'a.png' })).toBe(false);
    expect(matchesPattern(pattern, { k: 5 })).toBe(false);
    expect(matchesPattern(pattern, {})).toBe(false);
  });

  it('anything-but needs a string or number that is not excluded', () => {
    const pattern = { k: [{ 'anything-but': ['a', 1] }] };
    expect(matchesPattern(pattern, { k: 'b' })).toBe(true);
    expect(matchesPattern(pattern, { k: 2 })).toBe(true);
    expect(matchesPattern(pattern, { k: 'a' })).toBe(false);
    expect(matchesPattern(pattern, { k: 1 })).toBe(false);
    expect(matchesPattern(pattern, { k: true })).toBe(false);
    expect(matchesPattern(pattern, { k: null })).toBe(false);
    expect(matchesPattern(pattern, {})).toBe(false);
    expect(matchesPattern({ k: [{ 'anything-but': 'a' }] }, { k: 'b' })).toBe(true);
  });

  it('an array field matches when any element matches any condition', () => {
    const pattern = { k: ['b', { prefix: 'z' }] };
    expect(matchesPattern(pattern, { k: ['a', 'b'] })).toBe(true);
    expect(matchesPattern(pattern, { k: ['a', 'zz'] })).toBe(true);
    expect(matchesPattern(pattern, { k: ['a', 'c'] })).toBe(false);
  });
});
