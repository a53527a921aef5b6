import { beforeAll, describe, expect, it } from 'vitest';
import type { RecordedResource } from '../support/mocks.ts';
import { type ProgramRun, runProgram } from '../support/program.ts';
import { byId, ofType, one, T } from '../support/resources.ts';

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram();
});

/** The rules of one security group, with each peer named by its group's role or its CIDR. */
function rules(role: string) {
  const group = one(run.resources, T.securityGroup, `-${role}`);
  const describe = (rule: RecordedResource) => {
    const peer = rule.inputs.referencedSecurityGroupId
      ? byId(run.resources, rule.inputs.referencedSecurityGroupId)?.name.replace('security-', 'sg:')
      : rule.inputs.cidrIpv4;
    return `${rule.inputs.ipProtocol}/${rule.inputs.fromPort}-${rule.inputs.toPort} ${peer}`;
  };
  const of = (type: string) =>
    ofType(run.resources, type)
      .filter((r) => r.inputs.securityGroupId === group.id)
      .map(describe)
      .sort();
  return { ingress: of(T.ingress), egress: of(T.egress) };
}

describe('the VPC', () => {
  it('spans two AZs with the seed public and private subnets and one NAT gateway', () => {
    const vpc = one(run.resources, T.vpc);
    expect(vpc.inputs.cidrBlock).toBe('10.0.0.0/16');
    expect(vpc.inputs.numberOfAvailabilityZones).toBe(2);
    // awsx routes Public subnets to the internet gateway and Private ones to the NAT gateway.
    expect(vpc.inputs.subnetSpecs).toEqual([
      { type: 'Public', name: 'public', cidrBlocks: ['10.0.1.0/24', '10.0.2.0/24'] },
      { type: 'Private', name: 'private', cidrBlocks: ['10.0.101.0/24', '10.0.102.0/24'] },
    ]);
    expect(vpc.inputs.natGateways).toEqual({ strategy: 'Single' });
    // awsx's Legacy strategy would ignore explicit cidrBlocks and allocate its own ranges.
    expect(vpc.inputs.subnetStrategy).toBe('Auto');
  });

  it('takes its CIDRs and AZ count from config', async () => {
    const custom = await runProgram({
      config: {
        vpcCidr: '10.20.0.0/16',
        availabilityZoneCount: '3',
        publicSubnetCidrs: '["10.20.0.0/24","10.20.1.0/24","10.20.2.0/24"]',
        privateSubnetCidrs: '["10.20.100.0/22","10.20.104.0/22","10.20.108.0/22"]',
      },
    });
    const vpc = one(custom.resources, T.vpc);
    expect(vpc.inputs.cidrBlock).toBe('10.20.0.0/16');
    expect(vpc.inputs.numberOfAvailabilityZones).toBe(3);
    expect(vpc.inputs.subnetSpecs[1].cidrBlocks).toEqual([
      '10.20.100.0/22',
      '10.20.104.0/22',
      '10.20.108.0/22',
    ]);
  });

  it('routes S3 traffic from every route table, private ones included, through a gateway endpoint', () => {
    const endpoint = one(run.resources, T.endpoint);
    expect(endpoint.inputs).toMatchObject({
      vpcId: 'vpc-0mock',
      vpcEndpointType: 'Gateway',
      serviceName: 'com.amazonaws.eu-west-1.s3',
    });
    expect(endpoint.inputs.routeTableIds).toEqual(expect.arrayContaining(['rtb-private-1', 'rtb-private-2']));
  });
});

describe('security groups', () => {
  it('the ALB admits HTTP from anywhere and only talks to the web tier port', () => {
    expect(rules('alb')).toEqual({ ingress: ['tcp/80-80 0.0.0.0/0'], egress: ['tcp/5000-5000 sg:web'] });
  });

  it('the web tier admits 5000 from the ALB only, and reaches MySQL and HTTPS only', () => {
    expect(rules('web')).toEqual({
      ingress: ['tcp/5000-5000 sg:alb'],
      egress: ['tcp/3306-3306 sg:db', 'tcp/443-443 0.0.0.0/0'],
    });
  });

  it('the database SG admits 3306 only from the web and Lambda SGs, and sends nothing', () => {
    expect(rules('db')).toEqual({ ingress: ['tcp/3306-3306 sg:lambda', 'tcp/3306-3306 sg:web'], egress: [] });
  });

  it('the Lambda SG admits nothing', () => {
    expect(rules('lambda')).toEqual({
      ingress: [],
      egress: ['tcp/3306-3306 sg:db', 'tcp/443-443 0.0.0.0/0'],
    });
  });

  it('no group uses inline rules, which would fight the separate rule resources', () => {
    for (const group of ofType(run.resources, T.securityGroup)) {
      expect(group.inputs.ingress).toBeUndefined();
      expect(group.inputs.egress).toBeUndefined();
    }
  });
});
