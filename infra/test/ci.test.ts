/**
 * The CI workflow and the two roles it assumes (issue 13, §5): a pull request's preview runs with a
 * read-only role that only pull requests may assume; only the `dev` environment may assume the
 * deploy role; the actions are on their Node 24 majors.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const workflow = read('../../.github/workflows/infra.yml');

/** The lines of one job, from `  <name>:` to the next job. */
function job(name: string): string {
  const start = workflow.indexOf(`\n  ${name}:\n`);
  expect(start).toBeGreaterThan(-1);
  const rest = workflow.slice(start + 1);
  const next = rest.slice(1).search(/\n {2}[a-z-]+:\n/);
  return next === -1 ? rest : rest.slice(0, next + 1);
}

interface TrustPolicy {
  Statement: {
    Effect: string;
    Action: string;
    Principal: { Federated: string };
    Condition: { StringEquals: Record<string, string> };
  }[];
}
const trust = (file: string) => JSON.parse(read(`../ci/${file}`)) as TrustPolicy;

describe('the CI workflow', () => {
  it('previews with the preview role, deploys with the deploy role from the dev environment', () => {
    const role = (variable: string) => `role-to-assume: $\{{ vars.${variable} }}`;
    expect(job('preview')).toContain(role('AWS_PREVIEW_ROLE_ARN'));
    expect(job('preview')).not.toContain('AWS_DEPLOY_ROLE_ARN');
    expect(job('deploy')).toContain(role('AWS_DEPLOY_ROLE_ARN'));
    expect(job('deploy')).toMatch(/\n {4}environment: dev\n/);
  });

  it('uses the current majors of its actions (Node 24)', () => {
    const uses = [...workflow.matchAll(/uses: ([\w./-]+)@(v\d+)/g)].map((m) => `${m[1]}@${m[2]}`);
    expect(new Set(uses)).toEqual(
      new Set([
        'actions/checkout@v6',
        'actions/setup-node@v6',
        'aws-actions/configure-aws-credentials@v6',
        'pulumi/actions@v7',
      ]),
    );
  });
});

describe('the trust policies of the CI roles', () => {
  it.each([
    ['deploy-role-trust.json', 'repo:<OWNER>/<REPO>:environment:dev'],
    ['preview-role-trust.json', 'repo:<OWNER>/<REPO>:pull_request'],
  ])('%s admits GitHub OIDC tokens for exactly %s, for STS only', (file, subject) => {
    const [statement, ...others] = trust(file).Statement;
    expect(others).toEqual([]);
    expect(statement).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRoleWithWebIdentity' });
    expect(statement!.Principal.Federated).toMatch(/:oidc-provider\/token\.actions\.githubusercontent\.com$/);
    // StringEquals, never StringLike with a wildcard: no branch, tag or fork can match instead.
    expect(statement!.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': subject,
      },
    });
  });

  it('the preview role may only read: no Put, Create, Delete, Update or push', () => {
    const policy = JSON.parse(read('../ci/preview-role-policy.json')) as {
      Statement: { Action: string[] }[];
    };
    const actions = policy.Statement.flatMap((s) => s.Action);
    for (const action of actions) expect(action).toMatch(/:(Get|Describe|List|BatchGet)/);
  });
});
