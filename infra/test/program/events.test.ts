import { buildObjectCreatedEvent, matchesPattern, objectCreatedPattern } from '@annot/events';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ProgramRun, runProgram } from '../support/program.ts';
import { ofType, one, T } from '../support/resources.ts';

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram();
});

const WORKERS = ['annotator', 'thumbnailer'] as const;
const fn = (worker: string) => one(run.resources, T.lambda, `${worker}-function`);
const rule = () => one(run.resources, T.rule);
const originals = () => one(run.resources, T.bucket, '-originals');

describe('the EventBridge rule', () => {
  it('uses the shared pattern object for the originals bucket', () => {
    expect(JSON.parse(rule().inputs.eventPattern)).toEqual(
      objectCreatedPattern(originals().state.bucket as string),
    );
  });

  it('matches the event S3 sends for a new upload, and nothing outside uploads/', () => {
    const pattern = JSON.parse(rule().inputs.eventPattern);
    const bucket = originals().state.bucket as string;
    expect(matchesPattern(pattern, buildObjectCreatedEvent({ bucket, key: 'uploads/0abc/cat.jpg' }))).toBe(
      true,
    );
    expect(matchesPattern(pattern, buildObjectCreatedEvent({ bucket, key: 'other/cat.jpg' }))).toBe(false);
    expect(
      matchesPattern(
        pattern,
        buildObjectCreatedEvent({ bucket: 'another-bucket', key: 'uploads/0abc/cat.jpg' }),
      ),
    ).toBe(false);
  });

  it.each(WORKERS)('targets the %s with a retry policy and its own dead-letter queue', (worker) => {
    const target = one(run.resources, T.target, `-${worker}`);
    const dlq = one(run.resources, T.queue, `${worker}-dlq`);
    expect(target.inputs).toMatchObject({
      rule: rule().state.name,
      arn: fn(worker).state.arn,
      retryPolicy: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 3600 },
      deadLetterConfig: { arn: dlq.state.arn },
    });
    const policy = JSON.parse(
      run.resources.find((r) => r.type === T.queuePolicy && r.inputs.queueUrl === dlq.state.url)!.inputs
        .policy,
    );
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['sqs:SendMessage'],
        Resource: [dlq.state.arn],
        Condition: { ArnEquals: { 'aws:SourceArn': rule().state.arn } },
      }),
    ]);
  });

  it.each(WORKERS)('may invoke the %s, and only this rule may', (worker) => {
    const permissions = ofType(run.resources, T.permission).filter(
      (p) => p.inputs.function === fn(worker).state.name,
    );
    expect(permissions.map((p) => p.inputs)).toEqual([
      {
        action: 'lambda:InvokeFunction',
        function: fn(worker).state.name,
        principal: 'events.amazonaws.com',
        sourceArn: rule().state.arn,
      },
    ]);
  });
});
