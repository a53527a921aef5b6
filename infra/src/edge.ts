/**
 * Optional edge protection, each off by default:
 * - WAF on the ALB: AWS managed rule groups and a per-IP rate limit.
 * - CloudFront in front of the thumbnails bucket, reading it through origin access control
 *   (the bucket policy grants that one distribution; the bucket stays private).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface EdgeArgs {
  readonly waf: { readonly name: string; readonly rateLimit: number } | undefined;
  readonly loadBalancerArn: pulumi.Input<string>;
  readonly cloudFront: boolean;
  readonly thumbnailsBucket: aws.s3.Bucket;
}

/** AWS-managed CachingOptimized cache policy. */
export const CACHING_OPTIMIZED_POLICY_ID = '658327ea-f89d-4fab-a63d-7e88639e58f6';

const visibility = (metricName: string) => ({
  cloudwatchMetricsEnabled: true,
  sampledRequestsEnabled: true,
  metricName,
});

function managedRuleGroup(name: string, priority: number, countInstead: string[] = []) {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: 'AWS',
        name,
        ruleActionOverrides: countInstead.map((rule) => ({ name: rule, actionToUse: { count: {} } })),
      },
    },
    visibilityConfig: visibility(name),
  };
}

export class Edge extends pulumi.ComponentResource {
  readonly webAclArn: pulumi.Output<string> | undefined;
  readonly distributionArn: pulumi.Output<string> | undefined;
  readonly thumbnailsCdnDomain: pulumi.Output<string> | undefined;

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:Edge', name, {}, opts);
    const parent = { parent: this };

    if (args.waf) {
      const acl = new aws.wafv2.WebAcl(
        `${name}-waf`,
        {
          name: args.waf.name,
          scope: 'REGIONAL',
          defaultAction: { allow: {} },
          visibilityConfig: visibility(args.waf.name),
          rules: [
            {
              name: 'rate-limit-per-ip',
              priority: 0,
              action: { block: {} },
              statement: { rateBasedStatement: { limit: args.waf.rateLimit, aggregateKeyType: 'IP' } },
              visibilityConfig: visibility('rate-limit-per-ip'),
            },
            // The common rule set blocks request bodies over 8 KB, i.e. every image upload: count those instead.
            managedRuleGroup('AWSManagedRulesCommonRuleSet', 1, ['SizeRestrictions_BODY']),
            managedRuleGroup('AWSManagedRulesKnownBadInputsRuleSet', 2),
            managedRuleGroup('AWSManagedRulesAmazonIpReputationList', 3),
          ],
        },
        parent,
      );
      new aws.wafv2.WebAclAssociation(
        `${name}-waf`,
        { resourceArn: args.loadBalancerArn, webAclArn: acl.arn },
        parent,
      );
      this.webAclArn = acl.arn;
    }

    if (args.cloudFront) {
      const oac = new aws.cloudfront.OriginAccessControl(
        `${name}-thumbnails`,
        {
          description: 'CloudFront reads the thumbnails bucket with SigV4',
          originAccessControlOriginType: 's3',
          signingBehavior: 'always',
          signingProtocol: 'sigv4',
        },
        parent,
      );
      const originId = 'thumbnails';
      const distribution = new aws.cloudfront.Distribution(
        `${name}-thumbnails`,
        {
          enabled: true,
          comment: 'Thumbnails',
          priceClass: 'PriceClass_100',
          httpVersion: 'http2and3',
          origins: [
            {
              originId,
              domainName: args.thumbnailsBucket.bucketRegionalDomainName,
              originAccessControlId: oac.id,
            },
          ],
          defaultCacheBehavior: {
            targetOriginId: originId,
            viewerProtocolPolicy: 'redirect-to-https',
            allowedMethods: ['GET', 'HEAD'],
            cachedMethods: ['GET', 'HEAD'],
            cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
            compress: true,
          },
          restrictions: { geoRestriction: { restrictionType: 'none' } },
          viewerCertificate: { cloudfrontDefaultCertificate: true },
        },
        parent,
      );
      this.distributionArn = distribution.arn;
      this.thumbnailsCdnDomain = distribution.domainName;
    }

    this.registerOutputs({ webAclArn: this.webAclArn, distributionArn: this.distributionArn });
  }
}
