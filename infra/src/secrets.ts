/**
 * The platform's secrets in Secrets Manager. Workloads get each secret's ARN and fetch the value at
 * start; the values stay encrypted in Pulumi state and never appear in config, outputs or git.
 *
 * - the Gemini API key, moved from a Pulumi secret (`geminiApiKey`), when the annotator is Gemini;
 * - the web tier's cookie-signing secret and the operator's admin token, generated here.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface SecretsArgs {
  /** Undefined with the local annotator: then there is no Gemini secret at all. */
  readonly geminiApiKey: pulumi.Output<string> | undefined;
  readonly production: boolean;
}

/** Length of the generated values: letters and digits only, so the token is safe in a header as it is. */
export const GENERATED_SECRET_LENGTH = 64;

export class Secrets extends pulumi.ComponentResource {
  readonly geminiApiKeySecretArn: pulumi.Output<string> | undefined;
  /** Signs the upload cookie that lets a browser delete and retry its own images (COOKIE_SECRET_ARN). */
  readonly cookieSecretArn: pulumi.Output<string>;
  /** The operator's `Authorization: Bearer` token (ADMIN_TOKEN_SECRET_ARN). */
  readonly adminTokenSecretArn: pulumi.Output<string>;

  constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:Secrets', name, {}, opts);

    const stored = (key: string, description: string, value: pulumi.Input<string>, generated: boolean) => {
      const secret = new aws.secretsmanager.Secret(
        `${name}-${key}`,
        {
          description,
          // A production secret can be recovered for a week after deletion; elsewhere it is gone at
          // once, so a destroyed dev stack can be recreated under the same name.
          recoveryWindowInDays: args.production ? 7 : 0,
        },
        { parent: this },
      );
      const version = new aws.secretsmanager.SecretVersion(
        `${name}-${key}`,
        { secretId: secret.id, secretString: pulumi.secret(value) },
        // A generated value is drawn anew at every deployment; the first one is kept, so signed
        // cookies and the token survive deployments (rotate by hand: see the README).
        { parent: this, ...(generated ? { ignoreChanges: ['secretString'] } : {}) },
      );
      // Consumers of the ARN wait for the value to be stored, so nothing starts against an empty secret.
      return pulumi.all([secret.arn, version.id]).apply(([arn]) => arn);
    };

    const generate = () =>
      aws.secretsmanager.getRandomPasswordOutput(
        { passwordLength: GENERATED_SECRET_LENGTH, excludePunctuation: true, requireEachIncludedType: true },
        { parent: this },
      ).randomPassword;

    this.geminiApiKeySecretArn = args.geminiApiKey
      ? stored(
          'gemini-api-key',
          'Google Gemini API key used by the annotator Lambda',
          args.geminiApiKey,
          false,
        )
      : undefined;
    this.cookieSecretArn = stored(
      'cookie-secret',
      'Signs the cookie that lets an uploader delete and retry their own images (web tier)',
      generate(),
      true,
    );
    this.adminTokenSecretArn = stored(
      'admin-token',
      "The operator's bearer token: allows every delete and retry (web tier)",
      generate(),
      true,
    );
    this.registerOutputs({
      geminiApiKeySecretArn: this.geminiApiKeySecretArn,
      cookieSecretArn: this.cookieSecretArn,
      adminTokenSecretArn: this.adminTokenSecretArn,
    });
  }
}
