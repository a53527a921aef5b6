import { describe, expect, it } from 'vitest';
import {
  buildObjectCreatedEvent,
  decodeEventKey,
  encodeEventKey,
  InvalidEventError,
  parseObjectCreatedEvent,
} from '../src/index.ts';

// The sample "Object created" event from the Amazon S3 User Guide, "EventBridge event message structure".
const AWS_SAMPLE = {
  version: '0',
  id: '17793124-05d4-b198-2fde-7ededc63b103',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '111122223333',
  time: '2021-11-12T00:00:00Z',
  region: 'ca-central-1',
  resources: ['arn:aws:s3:::amzn-s3-demo-bucket1'],
  detail: {
    version: '0',
    bucket: { name: 'amzn-s3-demo-bucket1' },
    object: {
      key: 'example-key',
      size: 5,
      etag: 'b1946ac92492d2347c6235b4d2611184',
      'version-id': 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
      sequencer: '617f08299329d189',
    },
    'request-id': 'N4N7GDK58NMKJ12R',
    requester: '123456789012',
    'source-ip-address': '1.2.3.4',
    reason: 'PutObject',
  },
};

function withKey(key: string) {
  return { ...AWS_SAMPLE, detail: { ...AWS_SAMPLE.detail, object: { ...AWS_SAMPLE.detail.object, key } } };
}

describe('parseObjectCreatedEvent', () => {
  it('parses the sample event from the AWS documentation', () => {
    const parsed = parseObjectCreatedEvent(AWS_SAMPLE);
    expect(parsed).toEqual({
      eventId: '17793124-05d4-b198-2fde-7ededc63b103',
      time: '2021-11-12T00:00:00Z',
      bucket: 'amzn-s3-demo-bucket1',
      key: 'example-key',
      size: 5,
      etag: 'b1946ac92492d2347c6235b4d2611184',
      versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
      sequencer: '617f08299329d189',
    });
  });

  it('accepts the event as a JSON string', () => {
    expect(parseObjectCreatedEvent(JSON.stringify(AWS_SAMPLE)).key).toBe('example-key');
  });

  it.each([
    ['a space, percent-encoded', 'uploads/abc/my%20photo.jpg', 'uploads/abc/my photo.jpg'],
    ['a literal plus, which EventBridge does not encode', 'uploads/abc/c++.jpg', 'uploads/abc/c++.jpg'],
    ['an encoded plus', 'uploads/abc/a%2Bb.jpg', 'uploads/abc/a+b.jpg'],
    ['unicode', 'uploads/abc/%E5%86%99%E7%9C%9F-%C3%A9t%C3%A9.jpg', 'uploads/abc/写真-été.jpg'],
    ['an unencoded unicode key', 'uploads/abc/写真.jpg', 'uploads/abc/写真.jpg'],
    ['a raw percent that starts no escape', 'uploads/abc/100%.jpg', 'uploads/abc/100%.jpg'],
  ])('decodes a key with %s', (_label, encoded, decoded) => {
    expect(parseObjectCreatedEvent(withKey(encoded)).key).toBe(decoded);
  });

  it.each([
    ['null', null, '(root)'],
    ['a string that is not JSON', '{nope', 'not JSON'],
    ['another source', { ...AWS_SAMPLE, source: 'aws.ec2' }, 'source'],
    ['another detail-type', { ...AWS_SAMPLE, 'detail-type': 'Object Deleted' }, 'detail-type'],
    ['no bucket', { ...AWS_SAMPLE, detail: { ...AWS_SAMPLE.detail, bucket: undefined } }, 'detail.bucket'],
    ['no key', withKey(undefined as unknown as string), 'detail.object.key'],
    ['an empty key', withKey(''), 'detail.object.key'],
    ['an S3 notification instead of an EventBridge event', { Records: [{ s3: {} }] }, 'source'],
  ])('rejects %s with a clear error', (_label, input, mentions) => {
    let caught: unknown;
    try {
      parseObjectCreatedEvent(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidEventError);
    expect((caught as Error).message).toContain(mentions);
  });
});

describe('buildObjectCreatedEvent', () => {
  it('builds an event that parses back to the same bucket and key', () => {
    for (const key of ['uploads/x/plain.jpg', 'uploads/x/with space+plus%.jpg', 'uploads/x/ünï©ødé.png']) {
      const event = buildObjectCreatedEvent({ bucket: 'originals', key, size: 42, etag: 'abc' });
      const parsed = parseObjectCreatedEvent(event);
      expect(parsed).toMatchObject({ bucket: 'originals', key, size: 42, etag: 'abc' });
    }
  });

  it('encodes keys the way EventBridge carries them', () => {
    expect(encodeEventKey('uploads/a b/c+d')).toBe('uploads/a%20b/c%2Bd');
    expect(decodeEventKey(encodeEventKey('uploads/a b/c+d'))).toBe('uploads/a b/c+d');
  });
});
