import { describe, expect, it } from 'vitest';
import { createMocks, type RecordedResource } from './support/mocks.ts';

describe('the mocks let no new dependency slip in', () => {
  const setup = () => {
    const recorded: RecordedResource[] = [];
    const unexpected: string[] = [];
    return { mocks: createMocks(recorded, unexpected), recorded, unexpected };
  };

  it('throw on a resource type missing from the allow-list, and record it', () => {
    const { mocks, recorded, unexpected } = setup();
    const args = { type: 'aws:s3/bucketObjectv2:BucketObjectv2', name: 'stray', inputs: {}, custom: true };
    expect(() => mocks.newResource(args as never)).toThrow(/unexpected resource type aws:s3\/bucketObjectv2/);
    expect(unexpected).toEqual(['resource type aws:s3/bucketObjectv2:BucketObjectv2 (stray)']);
    expect(recorded).toEqual([]);
  });

  it('throw on any provider function call', () => {
    const { mocks, unexpected } = setup();
    expect(() =>
      mocks.call({ token: 'aws:index/getCallerIdentity:getCallerIdentity', inputs: {} } as never),
    ).toThrow(/unexpected provider function call/);
    expect(unexpected).toEqual(['call aws:index/getCallerIdentity:getCallerIdentity']);
  });

  it('answer for an allowed type with its AWS-side outputs', () => {
    const { mocks, recorded } = setup();
    const result = mocks.newResource({
      type: 'aws:s3/bucket:Bucket',
      name: 'photos',
      inputs: {},
      custom: true,
    } as never) as {
      id: string;
      state: Record<string, unknown>;
    };
    expect(result.id).toBe(result.state.bucket);
    expect(result.state.arn).toBe(`arn:aws:s3:::${result.id}`);
    expect(recorded).toHaveLength(1);
  });
});
