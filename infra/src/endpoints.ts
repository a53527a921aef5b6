/**
 * Optional interface VPC endpoints (`enableInterfaceEndpoints`): the AWS APIs the Lambdas and the
 * web instances call, reached inside the VPC instead of through the NAT gateway. Each endpoint has
 * private DNS, so the SDKs' default host names resolve to it, and admits HTTPS from the web and
 * Lambda security groups only. (S3 already has its gateway endpoint; Gemini and the package mirrors
 * still need the NAT gateway.)
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** The services, as in `com.amazonaws.<region>.<service>`. */
export const INTERFACE_ENDPOINT_SERVICES = [
  'secretsmanager',
  'ecr.api',
  'ecr.dkr',
  'logs',
  'sts',
  // Session Manager on the web instances (AmazonSSMManagedInstanceCore).
  'ssm',
  'ssmmessages',
  'ec2messages',
] as const;

export interface InterfaceEndpointsArgs {
  readonly region: string;
  readonly vpcId: pulumi.Input<string>;
  readonly privateSubnetIds: pulumi.Input<string[]>;
  /** The security groups whose members call the endpoints. */
  readonly clientSecurityGroupIds: Readonly<Record<string, pulumi.Input<string>>>;
}

export class InterfaceEndpoints extends pulumi.ComponentResource {
  readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: InterfaceEndpointsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:InterfaceEndpoints', name, {}, opts);
    const parent = { parent: this };
    const group = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId: args.vpcId, description: 'Interface endpoints: HTTPS from the web tier and the workers' },
      parent,
    );
    for (const [client, securityGroupId] of Object.entries(args.clientSecurityGroupIds)) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-from-${client}`,
        {
          securityGroupId: group.id,
          ipProtocol: 'tcp',
          fromPort: 443,
          toPort: 443,
          referencedSecurityGroupId: securityGroupId,
          description: `HTTPS from ${client}`,
        },
        parent,
      );
    }
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      new aws.ec2.VpcEndpoint(
        `${name}-${service.replace('.', '-')}`,
        {
          vpcId: args.vpcId,
          serviceName: `com.amazonaws.${args.region}.${service}`,
          vpcEndpointType: 'Interface',
          privateDnsEnabled: true,
          subnetIds: args.privateSubnetIds,
          securityGroupIds: [group.id],
        },
        parent,
      );
    }
    this.securityGroupId = group.id;
    this.registerOutputs({ securityGroupId: this.securityGroupId });
  }
}
