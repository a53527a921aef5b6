/**
 * No security group admits the whole internet, except a load balancer's group on 80 and 443.
 * Rules may be separate resources (vpc.SecurityGroupIngressRule, ec2.SecurityGroupRule) or inline.
 */
import type { PolicyResource, StackValidationPolicy } from '@pulumi/policy';
import { asList, ofType, refersTo } from './links.ts';

const SECURITY_GROUP = 'aws:ec2/securityGroup:SecurityGroup';
const INGRESS_RULE = 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule';
const LEGACY_RULE = 'aws:ec2/securityGroupRule:SecurityGroupRule';
const LOAD_BALANCERS = ['aws:lb/loadBalancer:LoadBalancer', 'aws:alb/loadBalancer:LoadBalancer'];
const WORLD = ['0.0.0.0/0', '::/0'];
const WEB_PORTS = [80, 443];

export interface OpenIngress {
  /** The resource that declares the rule. */
  readonly resource: PolicyResource;
  /** The security group the rule belongs to, when it is in the stack. */
  readonly group: PolicyResource | undefined;
  readonly protocol: string;
  readonly fromPort: number | undefined;
  readonly toPort: number | undefined;
}

function isWorld(...cidrs: unknown[]): boolean {
  return cidrs.flatMap((c) => asList(c as string | string[] | undefined)).some((c) => WORLD.includes(c));
}

/** Every ingress rule in the stack that is open to the whole internet. */
export function openIngressRules(resources: readonly PolicyResource[]): OpenIngress[] {
  const groups = ofType(resources, SECURITY_GROUP);
  const groupOf = (rule: PolicyResource) => groups.find((g) => refersTo(rule, 'securityGroupId', g));
  const open: OpenIngress[] = [];
  for (const rule of ofType(resources, INGRESS_RULE)) {
    if (isWorld(rule.props.cidrIpv4, rule.props.cidrIpv6)) {
      open.push({
        resource: rule,
        group: groupOf(rule),
        protocol: String(rule.props.ipProtocol),
        fromPort: rule.props.fromPort,
        toPort: rule.props.toPort,
      });
    }
  }
  for (const rule of ofType(resources, LEGACY_RULE)) {
    if (rule.props.type === 'ingress' && isWorld(rule.props.cidrBlocks, rule.props.ipv6CidrBlocks)) {
      open.push({
        resource: rule,
        group: groupOf(rule),
        protocol: String(rule.props.protocol),
        fromPort: rule.props.fromPort,
        toPort: rule.props.toPort,
      });
    }
  }
  for (const group of groups) {
    for (const inline of asList(group.props.ingress as Record<string, unknown>[] | undefined)) {
      if (isWorld(inline.cidrBlocks, inline.ipv6CidrBlocks)) {
        open.push({
          resource: group,
          group,
          protocol: String(inline.protocol),
          fromPort: inline.fromPort as number | undefined,
          toPort: inline.toPort as number | undefined,
        });
      }
    }
  }
  return open;
}

function isLoadBalancerGroup(
  group: PolicyResource | undefined,
  resources: readonly PolicyResource[],
): boolean {
  if (!group) return false;
  return ofType(resources, ...LOAD_BALANCERS).some((lb) => refersTo(lb, 'securityGroups', group));
}

export const noOpenIngress: StackValidationPolicy = {
  name: 'no-open-ingress',
  description:
    'Only a load balancer security group may admit 0.0.0.0/0 (or ::/0), and only on TCP 80 and 443.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    for (const open of openIngressRules(args.resources)) {
      const webPort =
        ['tcp', '6'].includes(open.protocol) &&
        open.fromPort === open.toPort &&
        WEB_PORTS.includes(open.fromPort ?? -1);
      if (!webPort) {
        report(
          `${open.resource.name}: admits the internet on ${open.protocol} ${open.fromPort}-${open.toPort}; only TCP 80/443 may be open`,
          open.resource.urn,
        );
      } else if (!isLoadBalancerGroup(open.group, args.resources)) {
        report(
          `${open.resource.name}: opens port ${open.fromPort} to the internet on a group no load balancer uses`,
          open.resource.urn,
        );
      }
    }
  },
};
