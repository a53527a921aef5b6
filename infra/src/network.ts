/**
 * The VPC: public and private subnets with explicit CIDRs in each AZ, one NAT gateway (or one per
 * AZ), and an S3 gateway endpoint so that S3 traffic from the private subnets does not cross (and
 * pay for) NAT.
 */

import * as aws from '@pulumi/aws';
import * as awsx from '@pulumi/awsx';
import * as pulumi from '@pulumi/pulumi';
import type { NetworkSettings } from './config-types.ts';

/** The config's network section (checked there: CIDRs inside the VPC, one per AZ, no overlaps). */
export interface NetworkArgs extends NetworkSettings {
  readonly region: string;
  readonly tags: Record<string, string>;
}

export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly s3EndpointId: pulumi.Output<string>;
  /**
   * What a workload's first boot needs: the VPC component (it completes once its subnets, NAT
   * gateways and routes exist) and the S3 endpoint's routes.
   */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:Network', name, {}, opts);

    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.vpcCidr,
        numberOfAvailabilityZones: args.availabilityZoneCount,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        // Explicit blocks: the layout is the config's, not an allocator's choice.
        subnetStrategy: 'Auto',
        subnetSpecs: [
          { type: 'Public', name: 'public', cidrBlocks: [...args.publicSubnetCidrs] },
          { type: 'Private', name: 'private', cidrBlocks: [...args.privateSubnetCidrs] },
        ],
        // One NAT gateway for the whole VPC by default: the workers' outbound traffic is light, and
        // a NAT per AZ multiplies the fixed cost. With natGatewayPerAz each private subnet routes
        // through its own AZ's gateway, so an AZ outage leaves the others their internet route.
        // Public subnets route to the internet gateway.
        natGateways: { strategy: args.natGatewayPerAz ? 'OnePerAz' : 'Single' },
        tags: args.tags,
      },
      { parent: this },
    );

    const endpoint = new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: vpc.vpcId,
        serviceName: `com.amazonaws.${args.region}.s3`,
        vpcEndpointType: 'Gateway',
        // Every route table of the VPC, private ones included, gets a route to S3 through the endpoint.
        routeTableIds: vpc.routeTables.apply((tables) => pulumi.all(tables.map((table) => table.id))),
      },
      { parent: this },
    );

    this.vpcId = vpc.vpcId;
    this.publicSubnetIds = vpc.publicSubnetIds;
    this.privateSubnetIds = vpc.privateSubnetIds;
    this.s3EndpointId = endpoint.id;
    this.ready = [vpc, endpoint];
    this.registerOutputs({ vpcId: this.vpcId, s3EndpointId: this.s3EndpointId });
  }
}
