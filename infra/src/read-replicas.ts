/**
 * The optional read replicas of the database (`readReplicaCount`): RDS MySQL read replicas of the
 * primary in the same region, with the primary's security group, encrypted, never public. The web
 * tier reads the gallery's older pages, searches and the JSON list from them (DB_READ_HOST, each
 * process picks one); writes and the uploader's own reads stay on the primary.
 *
 * Replicas share the primary's users, so the RDS-managed secret opens them too. They are
 * autonamed (a replacement never clashes with the old name), keep no backups of their own and
 * take no final snapshot: the primary has both.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface ReadReplicasArgs {
  readonly count: number;
  /** The primary's identifier: a same-region replica names its source by it. */
  readonly sourceIdentifier: pulumi.Input<string>;
  readonly instanceClass: string;
  /** The primary's parameter group: a replica refuses plain connections too (require_secure_transport). */
  readonly parameterGroupName: pulumi.Input<string>;
  readonly securityGroupId: pulumi.Input<string>;
  readonly production: boolean;
}

export class ReadReplicas extends pulumi.ComponentResource {
  /** Each replica's endpoint address, in creation order. */
  readonly addresses: pulumi.Output<string[]>;

  constructor(name: string, args: ReadReplicasArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:ReadReplicas', name, {}, opts);
    const replicas = Array.from(
      { length: args.count },
      (_, i) =>
        new aws.rds.Instance(
          `${name}-${i + 1}`,
          {
            replicateSourceDb: args.sourceIdentifier,
            instanceClass: args.instanceClass,
            parameterGroupName: args.parameterGroupName,
            storageType: 'gp3',
            storageEncrypted: true,
            vpcSecurityGroupIds: [args.securityGroupId],
            publiclyAccessible: false,
            autoMinorVersionUpgrade: true,
            backupRetentionPeriod: 0,
            skipFinalSnapshot: true,
            copyTagsToSnapshot: true,
            deletionProtection: args.production,
            applyImmediately: !args.production,
          },
          { parent: this },
        ),
    );
    this.addresses = pulumi.all(replicas.map((replica) => replica.address));
    this.registerOutputs({ addresses: this.addresses });
  }
}
