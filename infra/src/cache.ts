/**
 * The optional shared cache of the web tier (`enableCache`): an ElastiCache for Valkey
 * replication group in the private subnets, cluster mode disabled (the app's gallery read is one
 * Lua script over keys it names itself), encrypted in transit (the app connects with rediss://)
 * and at rest, behind an AUTH token. Only the web tier's security group may reach it.
 *
 * The token is generated here and kept in Secrets Manager; the web tier gets the secret's ARN
 * (REDIS_AUTH_TOKEN_SECRET_ARN) and fetches it at start, so it is never in plain config or in the
 * instances' environment. Like the other generated secrets, the first value drawn is kept.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { GENERATED_SECRET_LENGTH } from './secrets.ts';

export interface CacheArgs {
  readonly nodeType: string;
  /** 1: a single node; 2 or more: a primary and replicas across AZs with automatic failover. */
  readonly nodeCount: number;
  readonly production: boolean;
  readonly vpcId: pulumi.Input<string>;
  readonly privateSubnetIds: pulumi.Input<string[]>;
  /** The web tier's group: the only one let in, and given the one egress rule to reach it. */
  readonly webSecurityGroupId: pulumi.Input<string>;
}

export const CACHE_PORT = 6379;
/** The engine and its major version (ElastiCache for Valkey). */
export const CACHE_ENGINE = { engine: 'valkey', engineVersion: '8.0' } as const;

/** What the web tier needs: where the cache is, and which secret holds its token. */
export interface CacheRef {
  readonly host: pulumi.Output<string>;
  readonly port: number;
  readonly authTokenSecretArn: pulumi.Output<string>;
}

export class Cache extends pulumi.ComponentResource implements CacheRef {
  readonly host: pulumi.Output<string>;
  readonly port = CACHE_PORT;
  readonly authTokenSecretArn: pulumi.Output<string>;

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:Cache', name, {}, opts);
    const parent = { parent: this };

    const group = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId: args.vpcId, description: 'Shared cache (Valkey): 6379 from the web tier only' },
      parent,
    );
    const rule = { ipProtocol: 'tcp', fromPort: CACHE_PORT, toPort: CACHE_PORT };
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-from-web`,
      {
        ...rule,
        securityGroupId: group.id,
        referencedSecurityGroupId: args.webSecurityGroupId,
        description: 'From the web tier',
      },
      parent,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-web-to-cache`,
      {
        ...rule,
        securityGroupId: args.webSecurityGroupId,
        referencedSecurityGroupId: group.id,
        description: 'To the shared cache',
      },
      parent,
    );

    const subnets = new aws.elasticache.SubnetGroup(
      `${name}-subnets`,
      { subnetIds: args.privateSubnetIds, description: 'Private subnets for the shared cache' },
      parent,
    );

    // Letters and digits only: valid as an AUTH token (16-128 printable, no @ " /) and in a URL.
    const token = pulumi.secret(
      aws.secretsmanager.getRandomPasswordOutput(
        { passwordLength: GENERATED_SECRET_LENGTH, excludePunctuation: true, requireEachIncludedType: true },
        parent,
      ).randomPassword,
    );
    const secret = new aws.secretsmanager.Secret(
      `${name}-auth-token`,
      {
        description: "The shared cache's AUTH token (web tier, REDIS_AUTH_TOKEN_SECRET_ARN)",
        recoveryWindowInDays: args.production ? 7 : 0,
      },
      parent,
    );
    const version = new aws.secretsmanager.SecretVersion(
      `${name}-auth-token`,
      { secretId: secret.id, secretString: token },
      // Drawn anew at each deployment; the first value is kept, here and on the cache.
      { parent: this, ignoreChanges: ['secretString'] },
    );

    const failover = args.nodeCount > 1;
    const replicationGroup = new aws.elasticache.ReplicationGroup(
      `${name}-valkey`,
      {
        description: 'Shared cache of the web tier: gallery pages and presigned URLs',
        ...CACHE_ENGINE,
        nodeType: args.nodeType,
        numCacheClusters: args.nodeCount,
        automaticFailoverEnabled: failover,
        multiAzEnabled: failover,
        port: CACHE_PORT,
        subnetGroupName: subnets.name,
        securityGroupIds: [group.id],
        transitEncryptionEnabled: true,
        atRestEncryptionEnabled: true,
        // The kept value, never a new draw: a replaced group must take the token the secret holds,
        // or every web process would fail AUTH for good.
        authToken: pulumi.secret(version.secretString.apply((value) => value ?? '')),
        autoMinorVersionUpgrade: true,
        // A cache: nothing in it needs a backup.
        snapshotRetentionLimit: 0,
        applyImmediately: !args.production,
      },
      { parent: this, ignoreChanges: ['authToken'], dependsOn: [version] },
    );

    this.host = replicationGroup.primaryEndpointAddress;
    this.authTokenSecretArn = pulumi.all([secret.arn, version.id]).apply(([arn]) => arn);
    this.registerOutputs({ host: this.host, authTokenSecretArn: this.authTokenSecretArn });
  }
}
