/** RDS is encrypted and private; instances and launch templates require IMDSv2. */
import type { ResourceValidationPolicy } from '@pulumi/policy';

export const rdsEncryptedAndPrivate: ResourceValidationPolicy = {
  name: 'rds-encrypted-private',
  description: 'RDS instances encrypt their storage and are not publicly accessible.',
  enforcementLevel: 'mandatory',
  validateResource: (args, report) => {
    if (args.type !== 'aws:rds/instance:Instance') return;
    if (args.props.storageEncrypted !== true) report(`${args.name}: storageEncrypted must be true`);
    if (args.props.publiclyAccessible === true) report(`${args.name}: publiclyAccessible must be false`);
  },
};

const IMDS_TYPES = ['aws:ec2/launchTemplate:LaunchTemplate', 'aws:ec2/instance:Instance'];

export const imdsV2Required: ResourceValidationPolicy = {
  name: 'ec2-imdsv2-required',
  description: 'Launch templates and instances require IMDSv2 session tokens.',
  enforcementLevel: 'mandatory',
  validateResource: (args, report) => {
    if (!IMDS_TYPES.includes(args.type)) return;
    const options = args.props.metadataOptions as { httpTokens?: string; httpEndpoint?: string } | undefined;
    // With the endpoint disabled there is no metadata service to protect.
    if (options?.httpEndpoint === 'disabled') return;
    if (options?.httpTokens !== 'required')
      report(`${args.name}: metadataOptions.httpTokens must be "required" (IMDSv2)`);
  },
};
