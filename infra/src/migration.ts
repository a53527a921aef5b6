/**
 * Migrations as an explicit deploy step. A function built from the thumbnailer's image (its
 * `migrate.handler` entry) applies the pending migrations; `aws.lambda.Invocation` invokes it when
 * the schema changes (the fingerprint of the migrations list) or the database is new, and the
 * worker Lambdas and the web launch template depend on that invocation, so no new code runs before
 * the schema it needs. A failed migration fails the invocation, and `pulumi up` stops there with
 * the workloads untouched.
 *
 * During a rollout the previous code runs against the new schema (old web instances until the
 * instance refresh replaces them, in-flight worker invocations): every migration so far only adds
 * nullable columns, indexes and tables, and the repository names the columns it reads and writes,
 * so the previous code keeps working. A migration that removes or renames something must be split:
 * first a release that stops using it, then the migration.
 */
import { schemaFingerprint } from '@annot/db/migrations';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { migrationEnv } from './app-env.ts';
import { type DatabaseRef, databaseFields } from './database.ts';
import { assumeRolePolicy, migrationPolicy } from './policies.ts';

/** The handler of the migration entry in the thumbnailer image (apps/thumbnailer/build.mjs). */
export const MIGRATION_HANDLER = 'migrate.handler';

/** The schema's fingerprint, defined once in @annot/db (the migration function checks it). */
export { schemaFingerprint };

export interface SchemaMigrationArgs {
  readonly functionName: string;
  /** The thumbnailer image, which carries the migration entry. */
  readonly imageUri: pulumi.Input<string>;
  readonly timeoutSeconds: number;
  readonly logRetentionDays: number;
  readonly subnetIds: pulumi.Input<string[]>;
  readonly securityGroupId: pulumi.Input<string>;
  readonly database: DatabaseRef;
}

export class SchemaMigration extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  /** Depend on this to run after the schema is current. */
  readonly invocation: aws.lambda.Invocation;
  readonly fingerprint: string;

  constructor(name: string, args: SchemaMigrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:SchemaMigration', name, {}, opts);
    const parent = { parent: this };

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/aws/lambda/${args.functionName}`, retentionInDays: args.logRetentionDays },
      parent,
    );
    const role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: JSON.stringify(assumeRolePolicy('lambda.amazonaws.com')) },
      parent,
    );
    const db = databaseFields(args.database);
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy: pulumi
          .all([db, logGroup.arn])
          .apply(([{ secretArn }, logGroupArn]) =>
            JSON.stringify(migrationPolicy({ databaseSecretArn: secretArn, logGroupArn })),
          ),
      },
      parent,
    );

    this.function = new aws.lambda.Function(
      `${name}-function`,
      {
        name: args.functionName,
        description: 'Applies the pending database migrations (invoked by pulumi up)',
        packageType: 'Image',
        imageUri: args.imageUri,
        imageConfig: { commands: [MIGRATION_HANDLER] },
        architectures: ['x86_64'],
        role: role.arn,
        memorySize: 256,
        timeout: args.timeoutSeconds,
        vpcConfig: { subnetIds: args.subnetIds, securityGroupIds: [args.securityGroupId] },
        environment: {
          variables: db.apply((d) =>
            migrationEnv({
              databaseSecretArn: d.secretArn,
              databaseHost: d.address,
              databasePort: d.port,
              databaseName: d.name,
            }),
          ) as pulumi.Output<Record<string, string>>,
        },
        loggingConfig: { logFormat: 'Text', logGroup: logGroup.name },
      },
      { parent: this, dependsOn: [rolePolicy, logGroup], deleteBeforeReplace: true },
    );

    this.fingerprint = schemaFingerprint();
    // Invoked again when the schema changes or the database is a new one; its result (what was
    // applied) is kept in the state.
    this.invocation = new aws.lambda.Invocation(
      `${name}-run`,
      {
        functionName: this.function.name,
        input: JSON.stringify({ schema: this.fingerprint }),
        triggers: { schema: this.fingerprint, database: db.apply((d) => `${d.address}/${d.name}`) },
      },
      parent,
    );
    this.registerOutputs({ functionName: this.function.name, fingerprint: this.fingerprint });
  }
}
