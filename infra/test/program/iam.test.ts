import { beforeAll, describe, expect, it } from 'vitest';
import { SSM_MANAGED_POLICY_ARN } from '../../src/web.ts';
import { allows, scopedActions } from '../support/iam.ts';
import { ACCOUNT, REGION } from '../support/mocks.ts';
import { ALL_ON, type ProgramRun, runProgram } from '../support/program.ts';
import { inlinePolicyOf, ofType, one, T } from '../support/resources.ts';

/** Who may assume each role the program creates; a new role must be added here to pass. */
const TRUSTED_SERVICE: Record<string, string> = {
  'annotator-role': 'lambda.amazonaws.com',
  'migration-role': 'lambda.amazonaws.com',
  'thumbnailer-role': 'lambda.amazonaws.com',
  'web-role': 'ec2.amazonaws.com',
};

let defaults: ProgramRun;
let allOn: ProgramRun;
beforeAll(async () => {
  defaults = await runProgram();
  allOn = await runProgram({ config: ALL_ON });
}, 60_000);

const runs = () =>
  [
    ['the default stack', defaults],
    ['every feature on', allOn],
  ] as const;

describe('IAM roles as the program creates them', () => {
  it('has exactly the known roles, each with exactly one inline policy and no managed policy', () => {
    for (const [, run] of runs()) {
      const roles = ofType(run.resources, T.role);
      expect(roles.map((role) => role.name).sort()).toEqual(Object.keys(TRUSTED_SERVICE).sort());
      for (const role of roles) expect(() => inlinePolicyOf(run.resources, role)).not.toThrow();
      // Every inline policy belongs to one of them: none is attached to a role the tests do not see.
      const roleIds = new Set(roles.map((role) => role.id));
      for (const policy of ofType(run.resources, T.rolePolicy))
        expect(roleIds.has(policy.inputs.role)).toBe(true);
      // The one managed policy in the stack: Session Manager on the web instances (a way in when a
      // boot fails), attached to the web role only.
      const attachments = run.resources.filter((r) => /^aws:iam\/.*(Attachment|User|Group)/.test(r.type));
      expect(attachments.map((a) => [a.type, a.inputs.role, a.inputs.policyArn])).toEqual([
        [T.rolePolicyAttachment, one(run.resources, T.role, 'web-role').state.name, SSM_MANAGED_POLICY_ARN],
      ]);
    }
  });

  it('lets each role be assumed by its one AWS service only', () => {
    for (const [, run] of runs()) {
      for (const role of ofType(run.resources, T.role)) {
        expect(JSON.parse(role.inputs.assumeRolePolicy), role.name).toEqual({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: TRUSTED_SERVICE[role.name] },
              Action: ['sts:AssumeRole'],
            },
          ],
        });
      }
    }
  });

  it('gives each workload its own role: the web instances the web role, each Lambda its own', () => {
    const roleNamed = (name: string) => one(defaults.resources, T.role, name);
    expect(one(defaults.resources, T.instanceProfile).inputs.role).toBe(roleNamed('web-role').state.name);
    for (const worker of ['annotator', 'thumbnailer', 'migration']) {
      expect(one(defaults.resources, T.lambda, `${worker}-function`).inputs.role).toBe(
        roleNamed(`${worker}-role`).state.arn,
      );
    }
  });
});

describe('the web role, evaluated as the program builds it', () => {
  let policy: ReturnType<typeof inlinePolicyOf>;
  let arn: (type: string, suffix: string) => string;
  beforeAll(() => {
    policy = inlinePolicyOf(defaults.resources, one(defaults.resources, T.role, 'web-role'));
    arn = (type, suffix) => one(defaults.resources, type, suffix).state.arn as string;
  });
  const secret = (name: string) => arn(T.secret, name);

  /** The resources the rows below name, with their ARNs from the program run. */
  const resource = (where: string): string => {
    const originals = arn(T.bucket, '-originals');
    const thumbnails = arn(T.bucket, '-thumbnails');
    const found: Record<string, () => string> = {
      'an original': () => `${originals}/uploads/0abc/cat.jpg`,
      'the originals bucket outside uploads/': () => `${originals}/elsewhere/cat.jpg`,
      'a thumbnail': () => `${thumbnails}/thumbnails/0abc/cat.jpg`,
      'the thumbnails bucket outside thumbnails/': () => `${thumbnails}/elsewhere/cat.jpg`,
      'the originals bucket': () => originals,
      'the thumbnails bucket': () => thumbnails,
      'the database secret': () =>
        (one(defaults.resources, T.rds).state.masterUserSecrets as { secretArn: string }[])[0]!.secretArn,
      'the cookie secret': () => secret('-cookie-secret'),
      'the admin token': () => secret('-admin-token'),
      'the Gemini key': () => secret('-gemini-api-key'),
      'the default bus': () => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`,
      'its log group': () => `${arn(T.logGroup, 'web-logs')}:log-stream:i-0abc`,
      "the annotator's log group": () => `${arn(T.logGroup, 'annotator-logs')}:log-stream:x`,
      'its image repository': () => arn(T.repository, '-web'),
      "the annotator's image repository": () => arn(T.repository, '-annotator'),
      'the annotator function': () =>
        one(defaults.resources, T.lambda, 'annotator-function').state.arn as string,
      'its own role': () => one(defaults.resources, T.role, 'web-role').state.arn as string,
    };
    return found[where]!();
  };

  it.each([
    ['s3:PutObject', 'an original', true],
    ['s3:PutObject', 'the originals bucket outside uploads/', false],
    ['s3:PutObject', 'a thumbnail', false],
    ['s3:GetObject', 'an original', true],
    ['s3:GetObject', 'a thumbnail', true],
    ['s3:GetObject', 'the originals bucket outside uploads/', false],
    ['s3:DeleteObject', 'an original', true],
    ['s3:DeleteObject', 'a thumbnail', true],
    ['s3:DeleteObject', 'the thumbnails bucket outside thumbnails/', false],
    ['s3:AbortMultipartUpload', 'an original', true],
    ['s3:ListBucketMultipartUploads', 'the originals bucket', true],
    ['s3:ListBucketMultipartUploads', 'the thumbnails bucket', false],
    ['s3:DeleteBucket', 'the originals bucket', false],
    ['s3:PutBucketPolicy', 'the originals bucket', false],
    ['secretsmanager:GetSecretValue', 'the database secret', true],
    ['secretsmanager:GetSecretValue', 'the cookie secret', true],
    ['secretsmanager:GetSecretValue', 'the admin token', true],
    ['secretsmanager:GetSecretValue', 'the Gemini key', false],
    ['secretsmanager:PutSecretValue', 'the cookie secret', false],
    ['events:PutEvents', 'the default bus', true],
    ['logs:PutLogEvents', 'its log group', true],
    ['logs:PutLogEvents', "the annotator's log group", false],
    ['ecr:BatchGetImage', 'its image repository', true],
    ['ecr:BatchGetImage', "the annotator's image repository", false],
    ['ecr:PutImage', 'its image repository', false],
    ['lambda:InvokeFunction', 'the annotator function', false],
    ['iam:PassRole', 'its own role', false],
  ] as const)('%s on %s: allowed %s', (action, where, allowed) => {
    expect(allows(policy, action, resource(where))).toBe(allowed);
  });

  it('has no wildcard action, and "*" only for what takes no resource ARN', () => {
    for (const statement of policy.Statement as { Action: string[]; Resource?: string[] }[]) {
      for (const action of statement.Action) expect(action).not.toMatch(/\*/);
      if ((statement.Resource ?? ['*']).includes('*'))
        expect(statement.Action).toEqual(['ecr:GetAuthorizationToken']);
    }
    expect(scopedActions(policy).length).toBeGreaterThan(0);
  });
});
