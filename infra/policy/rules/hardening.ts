/**
 * Hardening that a real deployment relies on: the database refuses plain-text connections (its
 * parameter group sets require_secure_transport), and every web instance can be reached through
 * Session Manager (its role has AmazonSSMManagedInstanceCore), the only way in when a boot fails.
 */
import type { PolicyResource, StackValidationPolicy } from '@pulumi/policy';
import { asList, ofType, refersTo } from './links.ts';

const RDS_INSTANCE = 'aws:rds/instance:Instance';
const PARAMETER_GROUP = 'aws:rds/parameterGroup:ParameterGroup';
const LAUNCH_TEMPLATE = 'aws:ec2/launchTemplate:LaunchTemplate';
const INSTANCE_PROFILE = 'aws:iam/instanceProfile:InstanceProfile';
const ROLE = 'aws:iam/role:Role';
const ATTACHMENT = 'aws:iam/rolePolicyAttachment:RolePolicyAttachment';
export const SSM_CORE_POLICY = /:iam::aws:policy\/AmazonSSMManagedInstanceCore$/;

/** Whether a parameter group's parameters turn require_secure_transport on. */
export function requiresSecureTransport(group: PolicyResource): boolean {
  return asList(group.props.parameters as { name?: string; value?: unknown } | undefined).some(
    (p) =>
      p.name === 'require_secure_transport' && ['1', 'ON', 'on', 'true', 1, true].includes(p.value as never),
  );
}

export const rdsTlsOnly: StackValidationPolicy = {
  name: 'rds-tls-only',
  description: 'Every RDS MySQL instance uses a parameter group with require_secure_transport on.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    const groups = ofType(args.resources, PARAMETER_GROUP);
    for (const instance of ofType(args.resources, RDS_INSTANCE)) {
      const group = groups.find((g) => refersTo(instance, 'parameterGroupName', g));
      if (!group) {
        report(
          `${instance.name}: needs a parameter group of the stack with require_secure_transport=1`,
          instance.urn,
        );
      } else if (!requiresSecureTransport(group)) {
        report(
          `${instance.name}: its parameter group ${group.name} must set require_secure_transport=1`,
          instance.urn,
        );
      }
    }
  },
};

/** The resource a nested reference (e.g. iamInstanceProfile.arn) points at, by value or dependency. */
function referenced(
  resource: PolicyResource,
  property: string,
  value: unknown,
  candidates: readonly PolicyResource[],
): PolicyResource | undefined {
  return candidates.find(
    (c) =>
      resource.propertyDependencies?.[property]?.some((d) => d.urn === c.urn) ||
      (value !== undefined && [c.props.arn, c.props.name, c.props.id].includes(value)),
  );
}

export const instancesReachableBySsm: StackValidationPolicy = {
  name: 'ec2-ssm-access',
  description:
    "Every launch template's instance profile role has AmazonSSMManagedInstanceCore, so Session Manager reaches instances whose boot failed.",
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    const profiles = ofType(args.resources, INSTANCE_PROFILE);
    const roles = ofType(args.resources, ROLE);
    const attachments = ofType(args.resources, ATTACHMENT).filter((a) =>
      SSM_CORE_POLICY.test(String(a.props.policyArn)),
    );
    for (const template of ofType(args.resources, LAUNCH_TEMPLATE)) {
      const profileRef = template.props.iamInstanceProfile as { arn?: unknown; name?: unknown } | undefined;
      const profile = referenced(
        template,
        'iamInstanceProfile',
        profileRef?.arn ?? profileRef?.name,
        profiles,
      );
      const role = profile && referenced(profile, 'role', profile.props.role, roles);
      const granted =
        role !== undefined &&
        attachments.some((a) => referenced(a, 'role', a.props.role, [role]) !== undefined);
      if (!granted) {
        report(
          `${template.name}: the instance role needs the AmazonSSMManagedInstanceCore policy (Session Manager access)`,
          template.urn,
        );
      }
    }
  },
};
