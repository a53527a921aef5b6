/**
 * The Gemini API key, moved from a Pulumi secret into Secrets Manager. Workloads get the secret's
 * ARN and fetch the value at start; the value itself stays encrypted in Pulumi state.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface SecretsArgs {
  readonly geminiApiKey: pulumi.Output<string>;
  readonly production: boolean;
}

export class Secrets extends pulumi.ComponentResource {
  readonly geminiApiKeySecretArn: pulumi.Output<string>;

  constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:Secrets', name, {}, opts);

    const gemini = new aws.secretsmanager.Secret(
      `${name}-gemini-api-key`,
      {
        description: 'Google Gemini API key used by the annotator Lambda',
        // A production secret can be recovered for a week after deletion; elsewhere it is gone at once,
        // so a destroyed dev stack can be recreated under the same name.
        recoveryWindowInDays: args.production ? 7 : 0,
      },
      { parent: this },
    );
    const version = new aws.secretsmanager.SecretVersion(
      `${name}-gemini-api-key`,
      { secretId: gemini.id, secretString: pulumi.secret(args.geminiApiKey) },
      { parent: this },
    );

    // Consumers of the ARN wait for the value to be stored, so nothing starts against an empty secret.
    this.geminiApiKeySecretArn = pulumi.all([gemini.arn, version.id]).apply(([arn]) => arn);
    this.registerOutputs({ geminiApiKeySecretArn: this.geminiApiKeySecretArn });
  }
}
