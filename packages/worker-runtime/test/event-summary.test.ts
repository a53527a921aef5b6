import { buildObjectCreatedEvent } from '@annot/events';
import { describe, expect, it } from 'vitest';
import { summariseEvent } from '../src/index.ts';

describe('summariseEvent', () => {
  it('names the event by id, source, detail type, bucket and key', () => {
    const event = buildObjectCreatedEvent({ id: 'ev-1', bucket: 'originals', key: 'uploads/a/b.jpg' });
    expect(summariseEvent(event)).toEqual({
      type: 'object',
      fields: ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'],
      id: 'ev-1',
      source: 'aws.s3',
      detailType: 'Object Created',
      bucket: 'originals',
      key: 'uploads/a/b.jpg',
    });
  });

  it('cuts long strings at 200 characters and never copies nested values', () => {
    const hostile = {
      id: 'x'.repeat(5000),
      source: { nested: 'secret payload' },
      'detail-type': ['Object Created'],
      detail: { bucket: { name: 42 }, object: { key: null } },
    };
    const summary = summariseEvent(hostile);
    expect(summary.id).toBe(`${'x'.repeat(200)}…`);
    expect(summary).toMatchObject({ source: '(object)', detailType: '(object)', bucket: 42, key: null });
    expect(JSON.stringify(summary)).not.toContain('secret payload');
  });

  it('keeps exactly 200 characters whole', () => {
    expect(summariseEvent({ id: 'y'.repeat(200) }).id).toBe('y'.repeat(200));
  });

  it('lists at most 20 top-level field names', () => {
    const wide = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, i]));
    const { fields } = summariseEvent(wide) as { fields: string[] };
    expect(fields).toHaveLength(20);
    expect(fields.at(-1)).toBe('f19');
  });

  it('describes a string event by its length and first 120 characters', () => {
    const text = `not json ${'z'.repeat(300)}`;
    expect(summariseEvent(text)).toEqual({ type: 'string', length: 309, start: text.slice(0, 120) });
  });

  it.each([
    [null, { type: 'null' }],
    [undefined, { type: 'undefined' }],
    [7, { type: 'number' }],
    [[1, 2, 3], { type: 'array', length: 3 }],
  ])('describes %j by its type only', (event, expected) => {
    expect(summariseEvent(event)).toEqual(expected);
  });

  it('tolerates an object without detail', () => {
    expect(summariseEvent({ source: 'aws.s3' })).toMatchObject({
      source: 'aws.s3',
      bucket: undefined,
      key: undefined,
    });
  });
});
