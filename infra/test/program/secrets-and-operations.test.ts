import { beforeAll, describe, expect, it } from 'vitest';
import { plaintextSecretReason } from '../../policy/rules/secrets.ts';
import { GEMINI_KEY, PROJECT, type ProgramRun, runProgram } from '../support/program.ts';
import { decodeUserData, ofType, one, strings, T } from '../support/resources.ts';

let run: ProgramRun;
let withEmail: ProgramRun;
beforeAll(async () => {
  run = await runProgram();
  withEmail = await runProgram({ config: { alarmEmail: 'oncall@example.com' } });
});

describe('secrets', () => {
  it('the Gemini key reaches AWS only as a Pulumi secret, in its Secrets Manager secret version', () => {
    const places = run.resources.flatMap((r) =>
      strings(r.inputs)
        .filter((s) => s.value.includes(GEMINI_KEY))
        .map((s) => ({ type: r.type, path: s.path, secret: s.secret })),
    );
    expect(places).toEqual([{ type: T.secretVersion, path: '.secretString', secret: true }]);
    expect(one(run.resources, T.secretVersion, '-gemini-api-key').inputs.secretId).toBe(
      one(run.resources, T.secret, '-gemini-api-key').id,
    );
  });

  it('no plain-text secret in any Lambda environment: only ARNs of secrets', () => {
    for (const lambda of ofType(run.resources, T.lambda)) {
      const variables = lambda.inputs.environment.variables as Record<string, unknown>;
      expect(strings(variables).filter((s) => s.secret)).toEqual([]);
      expect(
        Object.entries(variables).flatMap(([name, value]) => plaintextSecretReason(name, value) ?? []),
      ).toEqual([]);
      const secretish = Object.keys(variables).filter((name) => /SECRET|KEY|PASSWORD/.test(name));
      expect(secretish).toContain('DATABASE_SECRET_ARN');
      for (const name of secretish) expect(name).toMatch(/_SECRET_ARN$/);
    }
  });

  it.each([
    ['-cookie-secret', 'Signs the cookie'],
    ['-admin-token', "The operator's bearer token"],
  ])(
    'the generated %s is drawn by Secrets Manager, stored as a Pulumi secret, and kept across deployments',
    (suffix, about) => {
      const secret = one(run.resources, T.secret, suffix);
      const version = one(run.resources, T.secretVersion, suffix);
      expect(secret.inputs.description).toContain(about);
      expect(version.inputs.secretId).toBe(secret.id);
      const value = strings(version.inputs).find((s) => s.path === '.secretString');
      // The mocks' stand-in for GetRandomPassword's answer (64 letters and digits).
      expect(value).toMatchObject({ secret: true });
      expect(value?.value).toMatch(/^[A-Za-z0-9]{64}$/);
    },
  );

  it('no secret in user data: settings and ARNs only', () => {
    const script = decodeUserData(one(run.resources, T.launchTemplate));
    expect(script).not.toContain(GEMINI_KEY);
    expect(script).not.toMatch(/PASSWORD|DATABASE_URL|GEMINI_API_KEY=/);
    expect(strings(one(run.resources, T.launchTemplate).inputs).filter((s) => s.secret)).toEqual([]);
  });
});

describe('stack outputs', () => {
  it('are the gallery URL, bucket names, database endpoint, Lambda names and DLQ URLs', () => {
    const value = (key: string) => run.outputs[key]?.value;
    expect(value('galleryUrl')).toBe(`http://${one(run.resources, T.alb).state.dnsName}/gallery`);
    expect(value('originalsBucketName')).toBe(one(run.resources, T.bucket, '-originals').state.bucket);
    expect(value('thumbnailsBucketName')).toBe(one(run.resources, T.bucket, '-thumbnails').state.bucket);
    expect(value('databaseEndpoint')).toBe(`${one(run.resources, T.rds).state.address}:3306`);
    expect(value('annotatorFunctionName')).toBe('image-annotation-platform-dev-annotator');
    expect(value('thumbnailerFunctionName')).toBe('image-annotation-platform-dev-thumbnailer');
    expect(Object.keys(value('deadLetterQueueUrls') as object).sort()).toEqual([
      'annotatorEvents',
      'annotatorFailures',
      'thumbnailerEvents',
      'thumbnailerFailures',
    ]);
    for (const url of Object.values(value('deadLetterQueueUrls') as object))
      expect(url).toMatch(/^https:\/\/sqs\./);
  });

  it("name the admin token's secret by its ARN, never its value", () => {
    const admin = one(run.resources, T.secret, '-admin-token');
    expect(run.outputs.adminTokenSecretArn).toEqual({ value: admin.state.arn, secret: false });
    const value = strings(one(run.resources, T.secretVersion, '-admin-token').inputs)[0]?.value;
    expect(JSON.stringify(run.outputs)).not.toContain(value);
  });

  it('contain no secret', () => {
    for (const [key, output] of Object.entries(run.outputs)) {
      expect({ key, secret: output.secret }).toEqual({ key, secret: false });
      expect(JSON.stringify(output.value ?? null)).not.toMatch(new RegExp(`${GEMINI_KEY}|password`, 'i'));
    }
  });
});

describe('tags', () => {
  const tags = { project: PROJECT, stack: 'dev', owner: 'platform-team' };

  it('every AWS resource is created through the provider that tags with project, stack and owner', () => {
    const provider = one(run.resources, T.provider);
    // Provider inputs reach the engine as JSON text.
    expect(JSON.parse(provider.inputs.defaultTags)).toEqual({ tags });
    const urn = `urn:pulumi:dev::${PROJECT}::pulumi:providers:aws::aws`;
    const untagged = run.resources.filter(
      (r) => r.custom && r.type.startsWith('aws:') && !r.provider?.startsWith(`${urn}::`),
    );
    expect(untagged.map((r) => `${r.type} ${r.name}`)).toEqual([]);
  });

  it('resources that ignore provider tags get them explicitly: the VPC component, the ASG, launched instances', () => {
    expect(one(run.resources, T.vpc).inputs.tags).toEqual(tags);
    expect(one(run.resources, T.asg).inputs.tags).toEqual(
      Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: false })),
    );
    expect(one(run.resources, T.launchTemplate).inputs.tagSpecifications).toEqual([
      { resourceType: 'instance', tags },
      { resourceType: 'volume', tags },
    ]);
  });
});

describe('logs and alarms', () => {
  it('every log group has a retention', () => {
    const groups = ofType(run.resources, T.logGroup);
    // web, two workers, the migration function, and RDS's error and slow query logs.
    expect(groups.length).toBe(6);
    for (const group of groups) expect(group.inputs.retentionInDays).toBe(30);
  });

  it('alarm on each DLQ depth, Lambda errors and throttles, ALB 5xx, unhealthy hosts, RDS CPU and free storage', () => {
    const metrics = ofType(run.resources, T.alarm).map((a) => `${a.inputs.namespace} ${a.inputs.metricName}`);
    expect(metrics.filter((m) => m === 'AWS/SQS ApproximateNumberOfMessagesVisible')).toHaveLength(4);
    expect(metrics.filter((m) => m === 'AWS/Lambda Errors')).toHaveLength(2);
    expect(metrics.filter((m) => m === 'AWS/Lambda Throttles')).toHaveLength(2);
    expect(metrics).toEqual(
      expect.arrayContaining([
        'AWS/ApplicationELB HTTPCode_ELB_5XX_Count',
        'AWS/ApplicationELB HTTPCode_Target_5XX_Count',
        'AWS/ApplicationELB UnHealthyHostCount',
        'AWS/RDS CPUUtilization',
        'AWS/RDS FreeStorageSpace',
      ]),
    );
    const queueNames = ofType(run.resources, T.queue).map((q) => q.state.name);
    const watched = ofType(run.resources, T.alarm).flatMap((a) => a.inputs.dimensions.QueueName ?? []);
    expect(watched.sort()).toEqual(queueNames.sort());
  });

  it('without alarmEmail there is no topic and alarms notify nobody', () => {
    expect(ofType(run.resources, T.topic)).toEqual([]);
    for (const alarm of ofType(run.resources, T.alarm)) expect(alarm.inputs.alarmActions).toEqual([]);
  });

  it('with alarmEmail, every alarm notifies an SNS topic the address is subscribed to', () => {
    const topic = one(withEmail.resources, T.topic);
    expect(one(withEmail.resources, T.subscription).inputs).toMatchObject({
      topic: topic.state.arn,
      protocol: 'email',
      endpoint: 'oncall@example.com',
    });
    for (const alarm of ofType(withEmail.resources, T.alarm)) {
      expect(alarm.inputs.alarmActions).toEqual([topic.state.arn]);
      expect(alarm.inputs.okActions).toEqual([topic.state.arn]);
    }
  });
});
