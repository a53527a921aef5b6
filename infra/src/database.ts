/**
 * RDS MySQL (8.4 LTS by default, or 8.0) in the private subnets: encrypted, never public, its
 * master password generated and kept by RDS in Secrets Manager, automated backups on, storage
 * autoscaling up to a ceiling, and a parameter group that refuses connections without TLS and
 * logs slow queries. In production it is protected from deletion (by RDS and by Pulumi) and
 * leaves a final snapshot whose name is new for every instance, so a second destroy never
 * collides with the first one's snapshot.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import type { DatabaseSettings } from './config-types.ts';

export interface DatabaseArgs {
  readonly identifier: string;
  readonly settings: DatabaseSettings;
  readonly production: boolean;
  readonly privateSubnetIds: pulumi.Input<string[]>;
  readonly securityGroupId: pulumi.Input<string>;
  readonly logRetentionDays: number;
}

/** What the workloads need to reach the database: where it is and which secret opens it. */
export interface DatabaseRef {
  readonly address: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  readonly name: string;
  readonly secretArn: pulumi.Input<string>;
}

/**
 * The reference as one resolved value. Copies the fields explicitly: `pulumi.all` does not look
 * inside a component resource, so passing the Database itself would leave Outputs unresolved.
 */
export function databaseFields(ref: DatabaseRef) {
  return pulumi.output({ address: ref.address, port: ref.port, name: ref.name, secretArn: ref.secretArn });
}

/** The MySQL logs exported to CloudWatch, each into a log group created here with a retention. */
const EXPORTED_LOGS = ['error', 'slowquery'];

/** The CA that signs the instance's certificate; the apps verify it with the RDS CA bundle (DB_TLS=rds). */
export const DB_CA_CERT_IDENTIFIER = 'rds-ca-rsa2048-g1';

/**
 * The parameter group's settings. `require_secure_transport` makes the server refuse any
 * connection without TLS; the slow query log goes to a file, which RDS exports to CloudWatch.
 */
export function databaseParameters(slowQuerySeconds: number) {
  return [
    { name: 'require_secure_transport', value: '1' },
    { name: 'slow_query_log', value: '1' },
    { name: 'long_query_time', value: String(slowQuerySeconds) },
    { name: 'log_output', value: 'FILE' },
  ];
}

export class Database extends pulumi.ComponentResource {
  readonly identifier: pulumi.Output<string>;
  readonly address: pulumi.Output<string>;
  readonly port: pulumi.Output<number>;
  readonly name: string;
  /** The RDS-managed secret holding {username, password}. */
  readonly secretArn: pulumi.Output<string>;
  /** The TLS-only parameter group (require_secure_transport=1), for the read replicas too. */
  readonly parameterGroupName: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:Database', name, {}, opts);
    const { settings } = args;

    const subnets = new aws.rds.SubnetGroup(
      `${name}-subnets`,
      { subnetIds: args.privateSubnetIds, description: 'Private subnets for RDS' },
      { parent: this },
    );

    // RDS would create these on first export without a retention; creating them first sets one.
    const logGroups = EXPORTED_LOGS.map(
      (log) =>
        new aws.cloudwatch.LogGroup(
          `${name}-${log}-logs`,
          { name: `/aws/rds/instance/${args.identifier}/${log}`, retentionInDays: args.logRetentionDays },
          { parent: this },
        ),
    );

    // Static parameters need a reboot; these are all dynamic, so they apply at once.
    const parameters = new aws.rds.ParameterGroup(
      `${name}-parameters`,
      {
        family: settings.parameterGroupFamily,
        description: 'TLS only; slow query log',
        parameters: databaseParameters(settings.slowQuerySeconds).map((p) => ({
          ...p,
          applyMethod: 'immediate',
        })),
      },
      // Autonamed, so a new family (8.0 to 8.4) creates the new group before the old one goes.
      { parent: this },
    );

    // Drawn once per database instance (a new identifier draws anew), kept across deployments.
    const snapshotSuffix = new random.RandomId(
      `${name}-final-snapshot`,
      { byteLength: 4, keepers: { identifier: args.identifier } },
      { parent: this },
    );

    const instance = new aws.rds.Instance(
      `${name}-mysql`,
      {
        identifier: args.identifier,
        engine: 'mysql',
        engineVersion: settings.engineVersion,
        engineLifecycleSupport: settings.engineLifecycleSupport,
        parameterGroupName: parameters.name,
        caCertIdentifier: DB_CA_CERT_IDENTIFIER,
        instanceClass: settings.instanceClass,
        allocatedStorage: settings.allocatedStorageGb,
        maxAllocatedStorage: settings.maxAllocatedStorageGb,
        storageType: 'gp3',
        storageEncrypted: true,
        dbName: settings.name,
        username: settings.username,
        manageMasterUserPassword: true,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [args.securityGroupId],
        publiclyAccessible: false,
        multiAz: settings.multiAz,
        backupRetentionPeriod: settings.backupRetentionDays,
        copyTagsToSnapshot: true,
        autoMinorVersionUpgrade: true,
        enabledCloudwatchLogsExports: EXPORTED_LOGS,
        deletionProtection: args.production,
        skipFinalSnapshot: !args.production,
        finalSnapshotIdentifier: args.production
          ? pulumi.interpolate`${args.identifier}-final-${snapshotSuffix.hex}`
          : undefined,
        // Outside production, changes apply now rather than in the next maintenance window.
        applyImmediately: !args.production,
      },
      {
        parent: this,
        dependsOn: logGroups,
        // The identifier is explicit (the log groups are named after it), so a replacement must
        // delete the old instance first; in production `protect` refuses that (and any delete).
        deleteBeforeReplace: true,
        protect: args.production,
      },
    );

    this.identifier = instance.identifier;
    this.address = instance.address;
    this.port = instance.port;
    this.name = settings.name;
    this.parameterGroupName = parameters.name;
    this.secretArn = instance.masterUserSecrets.apply((secrets) => {
      const arn = secrets[0]?.secretArn;
      if (!arn) throw new Error('RDS returned no master user secret; is manageMasterUserPassword set?');
      return arn;
    });
    this.registerOutputs({ address: this.address, port: this.port, secretArn: this.secretArn });
  }
}
