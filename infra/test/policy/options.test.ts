import { describe, expect, it } from 'vitest';
import { cacheEncryptedAndAuthenticated, cloudFrontViewersHttps } from '../../policy/rules/options.ts';
import { resource, validateResource } from '../support/policy.ts';

const GROUP = 'aws:elasticache/replicationGroup:ReplicationGroup';
const DISTRIBUTION = 'aws:cloudfront/distribution:Distribution';
const SAFE = { transitEncryptionEnabled: true, atRestEncryptionEnabled: true, authToken: 'x'.repeat(32) };

describe('cache-encrypted-authenticated', () => {
  it('passes an encrypted cache with a token, or with RBAC user groups', () => {
    expect(validateResource(cacheEncryptedAndAuthenticated, resource(GROUP, 'cache', SAFE))).toEqual([]);
    const rbac = { ...SAFE, authToken: undefined, userGroupIds: ['app-users'] };
    expect(validateResource(cacheEncryptedAndAuthenticated, resource(GROUP, 'cache', rbac))).toEqual([]);
  });

  it.each([
    ['plain-text transit', { ...SAFE, transitEncryptionEnabled: false }, 'transitEncryptionEnabled'],
    ['unencrypted storage', { ...SAFE, atRestEncryptionEnabled: false }, 'atRestEncryptionEnabled'],
    ['no authentication', { ...SAFE, authToken: undefined }, 'authToken'],
  ])('flags %s', (_what, props, message) => {
    expect(validateResource(cacheEncryptedAndAuthenticated, resource(GROUP, 'cache', props))).toEqual([
      expect.stringContaining(message),
    ]);
  });
});

describe('cloudfront-viewers-https', () => {
  const https = { viewerProtocolPolicy: 'redirect-to-https' };

  it('passes behaviours that redirect or require HTTPS', () => {
    const props = {
      defaultCacheBehavior: https,
      orderedCacheBehaviors: [
        { ...https, pathPattern: '/static/*' },
        { viewerProtocolPolicy: 'https-only', pathPattern: '/gallery' },
      ],
    };
    expect(validateResource(cloudFrontViewersHttps, resource(DISTRIBUTION, 'cdn', props))).toEqual([]);
  });

  it('flags a behaviour open to plain HTTP, naming it', () => {
    const props = {
      defaultCacheBehavior: https,
      orderedCacheBehaviors: [{ viewerProtocolPolicy: 'allow-all', pathPattern: '/gallery' }],
    };
    expect(validateResource(cloudFrontViewersHttps, resource(DISTRIBUTION, 'cdn', props))).toEqual([
      expect.stringContaining('behaviour /gallery allows plain HTTP'),
    ]);
  });
});
