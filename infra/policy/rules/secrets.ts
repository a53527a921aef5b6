/**
 * No plain-text secret in a Lambda's environment: settings that look like secrets by name or by
 * value must instead be Secrets Manager (or SSM) references that the function fetches at start.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';

const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;
/** Names that hold a reference to a secret, not the secret. */
const REFERENCE_NAME = /(_ARN|_SECRET_ID|_PARAMETER|_PARAMETER_NAME)$/i;

const SECRET_VALUES: readonly [RegExp, string][] = [
  [/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, 'a URL with a password'],
  [/AIza[0-9A-Za-z_-]{35}/, 'a Google API key'],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
];

/** Why an environment variable looks like a plain-text secret, or undefined. */
export function plaintextSecretReason(name: string, value: unknown): string | undefined {
  if (SECRET_NAME.test(name) && !REFERENCE_NAME.test(name)) {
    return `${name} looks like a secret by its name; pass a Secrets Manager ARN (e.g. ${name}_SECRET_ARN) instead`;
  }
  if (typeof value === 'string') {
    for (const [pattern, what] of SECRET_VALUES) {
      if (pattern.test(value)) return `${name} holds what looks like ${what}`;
    }
  }
  return undefined;
}

export const lambdaNoPlaintextSecrets: ResourceValidationPolicy = {
  name: 'lambda-no-plaintext-secrets',
  description: 'Lambda environment variables hold no plain-text secrets, only references to them.',
  enforcementLevel: 'mandatory',
  validateResource: (args, report) => {
    if (args.type !== 'aws:lambda/function:Function') return;
    const variables = (args.props.environment?.variables ?? {}) as Record<string, unknown>;
    for (const [name, value] of Object.entries(variables)) {
      const reason = plaintextSecretReason(name, value);
      if (reason) report(`${args.name}: ${reason}`);
    }
  },
};
