import { describe, expect, it } from 'vitest';
import { instancesReachableBySsm, rdsTlsOnly } from '../../policy/rules/hardening.ts';
import { resource, validateStack } from '../support/policy.ts';

const RDS = 'aws:rds/instance:Instance';
const PARAMETER_GROUP = 'aws:rds/parameterGroup:ParameterGroup';
const TEMPLATE = 'aws:ec2/launchTemplate:LaunchTemplate';
const PROFILE = 'aws:iam/instanceProfile:InstanceProfile';
const ROLE = 'aws:iam/role:Role';
const ATTACHMENT = 'aws:iam/rolePolicyAttachment:RolePolicyAttachment';
const SSM = 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore';

describe('rds-tls-only', () => {
  const group = (value: string) =>
    resource(PARAMETER_GROUP, 'params', {
      name: 'params-123',
      parameters: [
        { name: 'slow_query_log', value: '1' },
        { name: 'require_secure_transport', value },
      ],
    });

  it('passes an instance whose parameter group requires TLS (by name, or by dependency in a first preview)', () => {
    const tls = group('1');
    expect(
      validateStack(rdsTlsOnly, [tls, resource(RDS, 'db', { parameterGroupName: 'params-123' })]),
    ).toEqual([]);
    expect(validateStack(rdsTlsOnly, [tls, resource(RDS, 'db', {}, { parameterGroupName: [tls] })])).toEqual(
      [],
    );
  });

  it('flags a group that allows plain connections', () => {
    expect(
      validateStack(rdsTlsOnly, [group('0'), resource(RDS, 'db', { parameterGroupName: 'params-123' })]),
    ).toEqual([expect.stringContaining('must set require_secure_transport=1')]);
  });

  it('flags an instance on the default parameter group', () => {
    expect(
      validateStack(rdsTlsOnly, [resource(RDS, 'db', { parameterGroupName: 'default.mysql8.4' })]),
    ).toEqual([expect.stringContaining('needs a parameter group of the stack')]);
  });
});

describe('ec2-ssm-access', () => {
  const role = resource(ROLE, 'web-role', { name: 'web-role-abc', arn: 'arn:aws:iam::1:role/web-role-abc' });
  const profile = resource(PROFILE, 'web-profile', {
    arn: 'arn:aws:iam::1:instance-profile/p',
    role: 'web-role-abc',
  });
  const template = resource(TEMPLATE, 'web-template', {
    iamInstanceProfile: { arn: 'arn:aws:iam::1:instance-profile/p' },
  });

  it('passes a launch template whose role has AmazonSSMManagedInstanceCore', () => {
    const attachment = resource(ATTACHMENT, 'web-ssm', { role: 'web-role-abc', policyArn: SSM });
    expect(validateStack(instancesReachableBySsm, [role, profile, template, attachment])).toEqual([]);
  });

  it('passes by dependencies alone, as in a first preview when names are unknown', () => {
    const p = resource(PROFILE, 'web-profile', {}, { role: [role] });
    const t = resource(TEMPLATE, 'web-template', {}, { iamInstanceProfile: [p] });
    const a = resource(ATTACHMENT, 'web-ssm', { policyArn: SSM }, { role: [role] });
    expect(validateStack(instancesReachableBySsm, [role, p, t, a])).toEqual([]);
  });

  it('flags a role without it, or with another policy only', () => {
    const other = resource(ATTACHMENT, 'web-other', {
      role: 'web-role-abc',
      policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
    });
    expect(validateStack(instancesReachableBySsm, [role, profile, template, other])).toEqual([
      expect.stringContaining('AmazonSSMManagedInstanceCore'),
    ]);
    expect(validateStack(instancesReachableBySsm, [role, profile, template])).toHaveLength(1);
  });
});
