/** The stack options' invariants: the shared cache is encrypted and authenticated; CloudFront viewers use HTTPS. */
import type { ResourceValidationPolicy } from '@pulumi/policy';

export const cacheEncryptedAndAuthenticated: ResourceValidationPolicy = {
  name: 'cache-encrypted-authenticated',
  description:
    'ElastiCache replication groups encrypt in transit and at rest, and require an AUTH token (or RBAC user groups).',
  enforcementLevel: 'mandatory',
  validateResource: (args, report) => {
    if (args.type !== 'aws:elasticache/replicationGroup:ReplicationGroup') return;
    const props = args.props as {
      transitEncryptionEnabled?: boolean;
      atRestEncryptionEnabled?: boolean | string;
      authToken?: string;
      userGroupIds?: string[];
    };
    if (props.transitEncryptionEnabled !== true)
      report(`${args.name}: transitEncryptionEnabled must be true`);
    if (props.atRestEncryptionEnabled !== true && props.atRestEncryptionEnabled !== 'true') {
      report(`${args.name}: atRestEncryptionEnabled must be true`);
    }
    if (!props.authToken && !(props.userGroupIds && props.userGroupIds.length > 0)) {
      report(
        `${args.name}: needs an authToken or userGroupIds, so no client in the VPC reads it unauthenticated`,
      );
    }
  },
};

interface Behaviour {
  pathPattern?: string;
  viewerProtocolPolicy?: string;
}

export const cloudFrontViewersHttps: ResourceValidationPolicy = {
  name: 'cloudfront-viewers-https',
  description:
    'Every CloudFront cache behaviour redirects viewers to HTTPS or requires it (never allow-all).',
  enforcementLevel: 'mandatory',
  validateResource: (args, report) => {
    if (args.type !== 'aws:cloudfront/distribution:Distribution') return;
    const props = args.props as { defaultCacheBehavior?: Behaviour; orderedCacheBehaviors?: Behaviour[] };
    const behaviours = [
      { ...props.defaultCacheBehavior, pathPattern: '(default)' },
      ...(props.orderedCacheBehaviors ?? []),
    ];
    for (const behaviour of behaviours) {
      if (behaviour.viewerProtocolPolicy === 'allow-all') {
        report(`${args.name}: behaviour ${behaviour.pathPattern} allows plain HTTP viewers`);
      }
    }
  },
};
