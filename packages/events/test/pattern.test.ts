import { describe, expect, it } from 'vitest';
import {
  buildObjectCreatedEvent,
  type EventPattern,
  matchesPattern,
  objectCreatedPattern,
} from '../src/index.ts';

const pattern = objectCreatedPattern('originals-bucket');
const event = (overrides: { bucket?: string; key?: string } = {}) =>
  buildObjectCreatedEvent({
    bucket: overrides.bucket ?? 'originals-bucket',
    key: overrides.key ?? 'uploads/a/b.jpg',
  });

describe('objectCreatedPattern', () => {
  it('is the EventBridge pattern infra deploys', () => {
    expect(pattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: ['originals-bucket'] }, object: { key: [{ prefix: 'uploads/' }] } },
    });
  });

  it('refuses an empty bucket name', () => {
    expect(() => objectCreatedPattern('')).toThrow(/bucket/);
  });
});

describe('matchesPattern with the upload pattern', () => {
  it('matches a new original under uploads/', () => {
    expect(matchesPattern(pattern, event())).toBe(true);
  });

  it.each([
    ['another bucket', event({ bucket: 'thumbnails-bucket' })],
    ['a key under thumbnails/', event({ key: 'thumbnails/a/b.jpg' })],
    ['a key that merely contains uploads/', event({ key: 'x/uploads/b.jpg' })],
    ['another detail-type', { ...event(), 'detail-type': 'Object Deleted' }],
    ['another source', { ...event(), source: 'aws.ec2' }],
    ['an event without detail', { source: 'aws.s3', 'detail-type': 'Object Created' }],
    ['a non-object', 'uploads/a/b.jpg'],
  ])('does not match %s', (_label, candidate) => {
    expect(matchesPattern(pattern, candidate)).toBe(false);
  });
});

describe('matchesPattern operators', () => {
  const cases: [string, EventPattern, unknown, boolean][] = [
    ['exact value in a list (OR)', { a: ['x', 'y'] }, { a: 'y' }, true],
    ['exact value missing', { a: ['x'] }, { a: 'z' }, false],
    ['numbers match exactly', { n: [5] }, { n: 5 }, true],
    ['a string does not equal a number', { n: [5] }, { n: '5' }, false],
    ['prefix', { k: [{ prefix: 'up' }] }, { k: 'uploads' }, true],
    ['prefix on a number', { k: [{ prefix: '1' }] }, { k: 12 }, false],
    ['suffix', { k: [{ suffix: '.jpg' }] }, { k: 'a.jpg' }, true],
    ['anything-but a list', { k: [{ 'anything-but': ['a', 'b'] }] }, { k: 'c' }, true],
    ['anything-but excluded', { k: [{ 'anything-but': 'a' }] }, { k: 'a' }, false],
    ['exists true', { k: [{ exists: true }] }, { k: 'v' }, true],
    ['exists false on a missing field', { k: [{ exists: false }] }, {}, true],
    ['exists false on a present field', { k: [{ exists: false }] }, { k: 1 }, false],
    ['array field: any element', { k: ['b'] }, { k: ['a', 'b'] }, true],
    ['nested fields are ANDed', { d: { a: ['1'], b: ['2'] } }, { d: { a: '1', b: '3' } }, false],
    ['extra event fields are ignored', { a: ['1'] }, { a: '1', b: '2' }, true],
  ];
  it.each(cases)('%s', (_label, p, e, expected) => {
    expect(matchesPattern(p, e)).toBe(expected);
  });

  it('throws on an operator it does not implement instead of silently not matching', () => {
    expect(() => matchesPattern({ k: [{ numeric: ['>', 1] } as never] }, { k: 2 })).toThrow(/Unsupported/);
  });
});
