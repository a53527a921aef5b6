import {
  buildObjectCreatedEvent,
  buildStageRequestedEvent,
  matchesPattern,
  objectCreatedPattern,
  stageRequestedPattern,
} from '@annot/events';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ProgramRun, runProgram } from '../support/program.ts';
import { ofType, one, T } from '../support/resources.ts';

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram();
});

const WORKERS = ['annotator', 'thumbnailer'] as const;
const fn = (worker: string) => one(run.resources, T.lambda, `${worker}-function`);
const rule = () => one(run.resources, T.rule, '-object-created');
const STAGE = { annotator: 'annotation', thumbnailer: 'thumbnail' } as const;
const retryRule = (worker: (typeof WORKERS)[number]) =>
  one(run.resources, T.rule, `-${worker}-stage-requested`);
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
        // Both of the worker's rules, and no other: uploads and retries share the queue.
        Condition: { ArnEquals: { 'aws:SourceArn': [rule().state.arn, retryRule(worker).state.arn] } },
      }),
    ]);
  });

  it.each(WORKERS)('may invoke the %s, and only its two rules may, each by its own permission', (worker) => {
    const permissions = ofType(run.resources, T.permission).filter(
      (p) => p.inputs.function === fn(worker).state.name,
    );
    const grant = (sourceArn: unknown) => ({
      action: 'lambda:InvokeFunction',
      function: fn(worker).state.name,
      principal: 'events.amazonaws.com',
      sourceArn,
    });
    expect(permissions.map((p) => p.inputs)).toEqual([
      grant(rule().state.arn),
      grant(retryRule(worker).state.arn),
    ]);
  });
});

describe('the retry rules ("Stage Requested"), one per worker', () => {
  it.each(WORKERS)("the %s's uses the shared pattern object for its stage", (worker) => {
    expect(JSON.parse(retryRule(worker).inputs.eventPattern)).toEqual(
      stageRequestedPattern(originals().state.bucket as string, STAGE[worker]),
    );
  });

  it.each(WORKERS)("the %s's matches a retry of its own stage only, never an upload", (worker) => {
    const pattern = JSON.parse(retryRule(worker).inputs.eventPattern);
    const bucket = originals().state.bucket as string;
    const key = 'uploads/0abc/cat.jpg';
    const other = worker === 'annotator' ? 'thumbnail' : 'annotation';
    expect(matchesPattern(pattern, buildStageRequestedEvent({ bucket, key, stage: STAGE[worker] }))).toBe(
      true,
    );
    expect(matchesPattern(pattern, buildStageRequestedEvent({ bucket, key, stage: other }))).toBe(false);
    expect(matchesPattern(pattern, buildObjectCreatedEvent({ bucket, key }))).toBe(false);
    expect(
      matchesPattern(pattern, buildStageRequestedEvent({ bucket: 'another', key, stage: STAGE[worker] })),
    ).toBe(false);
  });

  it.each(WORKERS)(
    'targets the %s with the SAME retry policy and dead-letter queue as its upload target',
    (worker) => {
      const uploads = one(run.resources, T.target, `events-${worker}`);
      const retries = one(run.resources, T.target, `-${worker}-stage-requested`);
      expect(retries.inputs).toMatchObject({
        rule: retryRule(worker).state.name,
        arn: fn(worker).state.arn,
        retryPolicy: uploads.inputs.retryPolicy,
        deadLetterConfig: uploads.inputs.deadLetterConfig,
      });
      expect(retries.inputs.deadLetterConfig).toEqual({
        arn: one(run.resources, T.queue, `${worker}-dlq`).state.arn,
      });
    },
  );

  it('the upload rule keeps routing uploads only (a retry never reaches both workers)', () => {
    const pattern = JSON.parse(rule().inputs.eventPattern);
    const bucket = originals().state.bucket as string;
    expect(
      matchesPattern(
        pattern,
        buildStageRequestedEvent({ bucket, key: 'uploads/0abc/cat.jpg', stage: 'thumbnail' }),
      ),
    ).toBe(false);
  });
});
