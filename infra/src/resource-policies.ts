/** Resource policies (bucket and queue) as pure functions of resolved ARNs. */
import { THUMBNAILS_PREFIX } from '@annot/object-keys';
import { type PolicyDocument, policy, type Statement } from './policies.ts';

/** Denies every request to the bucket that does not arrive over TLS. */
export function denyInsecureTransport(bucketArn: string): Statement {
  return {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: ['s3:*'],
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

/**
 * The bucket policy: TLS only, plus, when a CloudFront distribution fronts the thumbnails, read
 * access to thumbnails for that one distribution through origin access control.
 */
export function bucketPolicy(bucketArn: string, cloudFrontDistributionArn?: string): PolicyDocument {
  const statements = [denyInsecureTransport(bucketArn)];
  if (cloudFrontDistributionArn) {
    statements.push({
      Sid: 'CloudFrontReadsThumbnails',
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: ['s3:GetObject'],
      Resource: [`${bucketArn}/${THUMBNAILS_PREFIX}*`],
      Condition: { StringEquals: { 'AWS:SourceArn': cloudFrontDistributionArn } },
    });
  }
  return policy(...statements);
}

/**
 * Lets the named EventBridge rules, and nothing else, put undeliverable events in a dead-letter
 * queue (a worker's queue takes both its rules': uploads and retries).
 */
export function eventBridgeDlqPolicy(queueArn: string, ruleArns: readonly string[]): PolicyDocument {
  return policy({
    Sid: 'EventBridgeDeadLetters',
    Effect: 'Allow',
    Principal: { Service: 'events.amazonaws.com' },
    Action: ['sqs:SendMessage'],
    Resource: [queueArn],
    Condition: { ArnEquals: { 'aws:SourceArn': ruleArns.length === 1 ? ruleArns[0]! : [...ruleArns] } },
  });
}
