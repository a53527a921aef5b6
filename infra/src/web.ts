/**
 * The web tier: a launch template (AMI resolved from the SSM public parameter at launch, IMDSv2
 * only, encrypted root volume, an instance profile with the web role) and an Auto Scaling group in
 * the private subnets behind the target group, with ELB health checks and CPU target tracking.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { webEnv } from './app-env.ts';
import type { CacheRef } from './cache.ts';
import type { WebSettings } from './config-types.ts';
import { REFRESH_MAX_HEALTHY_PERCENT } from './connection-budget.ts';
import type { DatabaseRef } from './database.ts';
import { assumeRolePolicy, webPolicy } from './policies.ts';
import { webUserData } from './user-data.ts';
import { sharedEnvInputs, sharedPolicyArns } from './workload.ts';

export interface WebTierArgs {
  readonly settings: WebSettings;
  readonly region: string;
  readonly port: number;
  readonly logGroupName: string;
  readonly logRetentionDays: number;
  readonly tags: Record<string, string>;
  readonly privateSubnetIds: pulumi.Input<string[]>;
  readonly securityGroupId: pulumi.Input<string>;
  readonly targetGroupArn: pulumi.Input<string>;
  readonly image: { readonly imageUri: pulumi.Input<string>; readonly repositoryArn: pulumi.Input<string> };
  readonly originals: aws.s3.Bucket;
  readonly thumbnails: aws.s3.Bucket;
  readonly database: DatabaseRef;
  readonly appEnv: Readonly<Record<string, string>>;
  /** The CloudFront distribution in front of the thumbnails bucket, when there is one. */
  readonly thumbnailsCdnDomain?: pulumi.Input<string> | undefined;
  /** The bus retries go to: its name for the app, its ARN for the PutEvents grant. */
  readonly eventBus: { readonly name: string; readonly arn: pulumi.Input<string> };
  readonly cookieSecretArn: pulumi.Input<string>;
  readonly adminTokenSecretArn: pulumi.Input<string>;
  /** DB_POOL_SIZE of each web process. */
  readonly poolSize: number;
  /** Done before the first instance launches: the schema migrations. */
  readonly migrated: pulumi.Input<pulumi.Resource>[];
  /** The network the instances need on their first boot (the private subnets' NAT route). */
  readonly network: pulumi.Input<pulumi.Resource>[];
  /** The shared cache (enableCache), when there is one. */
  readonly cache?: CacheRef | undefined;
  /** The read replicas' addresses (readReplicaCount), when there are any. */
  readonly readReplicaHosts?: pulumi.Input<string[]> | undefined;
}

/** AWS's managed policy for Session Manager: a way in (no SSH, no open port) when a boot fails. */
export const SSM_MANAGED_POLICY_ARN = aws.iam.ManagedPolicy.AmazonSSMManagedInstanceCore;

export class WebTier extends pulumi.ComponentResource {
  readonly autoScalingGroupName: pulumi.Output<string>;

  constructor(name: string, args: WebTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:WebTier', name, {}, opts);
    const parent = { parent: this };
    const { settings } = args;

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: args.logGroupName, retentionInDays: args.logRetentionDays },
      parent,
    );
    const role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: JSON.stringify(assumeRolePolicy('ec2.amazonaws.com')) },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy: pulumi
          .all([
            sharedPolicyArns(args, logGroup),
            args.image.repositoryArn,
            args.eventBus.arn,
            args.cookieSecretArn,
            args.adminTokenSecretArn,
            args.cache?.authTokenSecretArn,
          ])
          .apply(
            ([
              shared,
              repositoryArn,
              eventBusArn,
              cookieSecretArn,
              adminTokenSecretArn,
              cacheAuthTokenSecretArn,
            ]) =>
              JSON.stringify(
                webPolicy({
                  ...shared,
                  repositoryArn,
                  eventBusArn,
                  cookieSecretArn,
                  adminTokenSecretArn,
                  cacheAuthTokenSecretArn,
                }),
              ),
          ),
      },
      parent,
    );
    const ssm = new aws.iam.RolePolicyAttachment(
      `${name}-ssm`,
      { role: role.name, policyArn: SSM_MANAGED_POLICY_ARN },
      parent,
    );
    const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name }, parent);

    const userData = pulumi
      .all([
        args.image.imageUri,
        sharedEnvInputs(args),
        args.thumbnailsCdnDomain,
        args.cookieSecretArn,
        args.adminTokenSecretArn,
        args.cache
          ? pulumi.output({
              host: args.cache.host,
              port: args.cache.port,
              authTokenSecretArn: args.cache.authTokenSecretArn,
            })
          : undefined,
        args.readReplicaHosts,
      ])
      .apply(
        ([
          imageUri,
          shared,
          thumbnailsCdnDomain,
          cookieSecretArn,
          adminTokenSecretArn,
          cache,
          readReplicaHosts,
        ]) => {
          const env = webEnv({
            cache,
            readReplicaHosts,
            ...shared,
            region: args.region,
            port: args.port,
            poolSize: args.poolSize,
            thumbnailsCdnDomain,
            eventBusName: args.eventBus.name,
            cookieSecretArn,
            adminTokenSecretArn,
          });
          const script = webUserData({
            region: args.region,
            imageUri,
            logGroupName: args.logGroupName,
            env,
            port: args.port,
          });
          return Buffer.from(script).toString('base64');
        },
      );

    const launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-template`,
      {
        description: 'Web tier: Docker on Amazon Linux 2023 running the web image',
        // Resolved by EC2 at each launch, so new instances get the current AL2023 AMI.
        imageId: `resolve:ssm:${settings.amiParameter}`,
        instanceType: settings.instanceType,
        iamInstanceProfile: { arn: profile.arn },
        vpcSecurityGroupIds: [args.securityGroupId],
        metadataOptions: {
          httpEndpoint: 'enabled',
          httpTokens: 'required',
          // The app runs in a container, one network hop from the instance: it needs a hop limit of 2
          // to reach IMDSv2 for the instance role's credentials.
          httpPutResponseHopLimit: 2,
        },
        blockDeviceMappings: [
          {
            deviceName: '/dev/xvda',
            ebs: {
              volumeSize: settings.rootVolumeGb,
              volumeType: 'gp3',
              encrypted: 'true',
              deleteOnTermination: 'true',
            },
          },
        ],
        monitoring: { enabled: true },
        userData,
        // Provider default tags stop at the launch template; these reach the instances and volumes.
        tagSpecifications: ['instance', 'volume'].map((resourceType) => ({ resourceType, tags: args.tags })),
        updateDefaultVersion: true,
      },
      // The schema is migrated before a launch template version that runs the new image exists.
      { parent: this, dependsOn: [logGroup, ...args.migrated] },
    );

    const group = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        minSize: settings.minSize,
        maxSize: settings.maxSize,
        desiredCapacity: settings.desiredCapacity,
        vpcZoneIdentifiers: args.privateSubnetIds,
        targetGroupArns: [args.targetGroupArn],
        // ELB, not EC2: the target group's /health fails only when the process cannot serve (hung,
        // crashed, out of memory), which the EC2 status checks would not see, and no longer when
        // the database or S3 is down (the app reports those in the body and answers 503 with
        // Retry-After to the requests that need them), so an outage does not replace the fleet.
        healthCheckType: 'ELB',
        healthCheckGracePeriod: settings.healthCheckGraceSeconds,
        launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
        // A new launch template version (a new image digest, a new setting) rolls the instances,
        // starting replacements before stopping the old ones; a refresh whose new instances never
        // turn healthy rolls back to the previous version by itself.
        instanceRefresh: {
          strategy: 'Rolling',
          preferences: {
            minHealthyPercentage: 100,
            maxHealthyPercentage: REFRESH_MAX_HEALTHY_PERCENT,
            autoRollback: true,
          },
        },
        // Auto Scaling groups ignore provider default tags.
        tags: Object.entries(args.tags).map(([key, value]) => ({ key, value, propagateAtLaunch: false })),
      },
      // Scaling owns the desired capacity once the group exists. The first instances boot only once
      // the private subnets route to the NAT gateway (their user data installs Docker from the
      // internet) and the role can be reached through SSM.
      { parent: this, ignoreChanges: ['desiredCapacity'], dependsOn: [ssm, ...args.network] },
    );

    new aws.autoscaling.Policy(
      `${name}-cpu`,
      {
        autoscalingGroupName: group.name,
        policyType: 'TargetTrackingScaling',
        targetTrackingConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: 'ASGAverageCPUUtilization' },
          targetValue: settings.cpuTargetPercent,
        },
      },
      parent,
    );

    this.autoScalingGroupName = group.name;
    this.registerOutputs({ autoScalingGroupName: group.name });
  }
}
