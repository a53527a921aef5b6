/**
 * Optional edge protection, each off by default:
 * - WAF on whichever entry point is public: the ALB (a REGIONAL web ACL) without CloudFront, the
 *   distribution (a CLOUDFRONT web ACL, which AWS keeps in us-east-1) with it. AWS managed rule
 *   groups and a per-IP rate limit either way.
 * - CloudFront in front of the ALB and the thumbnails bucket (enableCloudFront):
 *   - `/static/*`: cached by the app's Cache-Control (immutable under the `?v=` fingerprint, which
 *     is in the cache key);
 *   - `/gallery`: cached only when the app says so (`s-maxage`, for an anonymous viewer), keyed by
 *     the query string, the uploader cookie and the Authorization header, so a viewer's own page
 *     (private) is never served to anyone else;
 *   - `thumbnails/*`: the thumbnails bucket through origin access control (the bucket policy grants
 *     that one distribution; the bucket stays private);
 *   - everything else (uploads, the API, delete, retry, the live fragment): CachingDisabled with
 *     every viewer header but Host, every cookie and query string passed on (PUBLIC_ORIGIN tells
 *     the app the public name).
 *   The ALB then admits CloudFront's origin-facing addresses only (security.ts) and answers 403 to
 *   a request without the distribution's secret origin header (load-balancer.ts), so no one
 *   reaches it around the distribution and its WAF.
 */

import { GALLERY_SHARED_MAX_AGE_LIMIT_SECONDS } from '@annot/config/edge-limits';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { GENERATED_SECRET_LENGTH } from './secrets.ts';

export interface EdgeArgs {
  readonly waf: { readonly name: string; readonly rateLimit: number } | undefined;
  readonly loadBalancerArn: pulumi.Input<string>;
  readonly cloudFront: boolean;
  readonly thumbnailsBucket: aws.s3.Bucket;
  /** With cloudFront: how the distribution reaches the ALB. */
  readonly webOrigin?: WebOrigin | undefined;
  /** With cloudFront and WAF: a provider in us-east-1, where CLOUDFRONT-scope web ACLs live. */
  readonly usEast1Provider?: aws.Provider | undefined;
}

export interface WebOrigin {
  /** The ALB's DNS name, or (with a certificate) the name in it that points at the ALB. */
  readonly domainName: pulumi.Input<string>;
  /** HTTPS to the origin (a certificate on the ALB), else HTTP. */
  readonly https: boolean;
  /** The secret header value the ALB requires (OriginVerifySecret). */
  readonly verifyValue: pulumi.Input<string>;
}

/** AWS-managed CachingOptimized cache policy. */
export const CACHING_OPTIMIZED_POLICY_ID = '658327ea-f89d-4fab-a63d-7e88639e58f6';
/** AWS-managed CachingDisabled cache policy. */
export const CACHING_DISABLED_POLICY_ID = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
/**
 * AWS-managed AllViewerExceptHostHeader origin request policy: every viewer header, cookie and
 * query string but Host. (AllViewer would send the distribution's Host on to the ALB, and an
 * HTTPS origin's certificate is then checked against that name, which it does not hold. The app
 * knows the public name from PUBLIC_ORIGIN instead.)
 */
export const ALL_VIEWER_EXCEPT_HOST_POLICY_ID = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
/** The header CloudFront adds to every request to the ALB, which the ALB requires. */
export const ORIGIN_VERIFY_HEADER = 'X-Origin-Verify';
/** The uploader cookie (apps/web/src/auth/permissions.ts): part of the gallery's cache key. */
export const UPLOADER_COOKIE = 'annot_uploader';
/** The longest CloudFront keeps a gallery page, whatever the origin says (its s-maxage is 5 s by default). */
export const GALLERY_MAX_TTL_SECONDS = GALLERY_SHARED_MAX_AGE_LIMIT_SECONDS;
/** The prefix list of the addresses CloudFront connects to origins from. */
export const CLOUDFRONT_ORIGIN_PREFIX_LIST = 'com.amazonaws.global.cloudfront.origin-facing';

const WEB_ORIGIN_ID = 'web';
const THUMBNAILS_ORIGIN_ID = 'thumbnails';

/**
 * The value of the header CloudFront sends and the ALB requires, generated once and kept in Secrets
 * Manager: it is drawn anew at every deployment, and the kept (first) value is what both sides use,
 * so a deployment never changes one side before the other.
 */
export class OriginVerifySecret extends pulumi.ComponentResource {
  readonly value: pulumi.Output<string>;

  constructor(name: string, args: { production: boolean }, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:OriginVerifySecret', name, {}, opts);
    const secret = new aws.secretsmanager.Secret(
      name,
      {
        description: `The ${ORIGIN_VERIFY_HEADER} header CloudFront sends and the load balancer requires`,
        recoveryWindowInDays: args.production ? 7 : 0,
      },
      { parent: this },
    );
    const drawn = aws.secretsmanager.getRandomPasswordOutput(
      { passwordLength: GENERATED_SECRET_LENGTH, excludePunctuation: true, requireEachIncludedType: true },
      { parent: this },
    ).randomPassword;
    const version = new aws.secretsmanager.SecretVersion(
      name,
      { secretId: secret.id, secretString: pulumi.secret(drawn) },
      { parent: this, ignoreChanges: ['secretString'] },
    );
    this.value = pulumi.secret(version.secretString.apply((value) => value ?? ''));
    this.registerOutputs({});
  }
}

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

    // With CloudFront the distribution is the public entry point, and the WAF guards it instead.
    const wafOnDistribution = args.cloudFront && args.waf !== undefined;
    if (wafOnDistribution && !args.usEast1Provider) {
      throw new Error('Edge: a CloudFront-scope web ACL needs a provider in us-east-1');
    }
    let distributionAclArn: pulumi.Output<string> | undefined;
    if (args.waf) {
      const acl = new aws.wafv2.WebAcl(
        `${name}-waf`,
        {
          name: args.waf.name,
          scope: wafOnDistribution ? 'CLOUDFRONT' : 'REGIONAL',
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
        wafOnDistribution ? { parent: this, provider: args.usEast1Provider } : parent,
      );
      if (wafOnDistribution) {
        distributionAclArn = acl.arn;
      } else {
        new aws.wafv2.WebAclAssociation(
          `${name}-waf`,
          { resourceArn: args.loadBalancerArn, webAclArn: acl.arn },
          parent,
        );
      }
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
      const web = args.webOrigin;
      if (!web) throw new Error('Edge: CloudFront fronts the ALB: webOrigin is required');
      const assetsPolicy = new aws.cloudfront.CachePolicy(
        `${name}-assets`,
        {
          comment: 'Static assets: the ?v= fingerprint in the key, lifetimes from Cache-Control',
          minTtl: 0,
          defaultTtl: 86_400,
          maxTtl: 31_536_000,
          parametersInCacheKeyAndForwardedToOrigin: {
            enableAcceptEncodingGzip: true,
            enableAcceptEncodingBrotli: true,
            queryStringsConfig: { queryStringBehavior: 'whitelist', queryStrings: { items: ['v'] } },
            cookiesConfig: { cookieBehavior: 'none' },
            headersConfig: { headerBehavior: 'none' },
          },
        },
        parent,
      );
      const galleryPolicy = new aws.cloudfront.CachePolicy(
        `${name}-gallery`,
        {
          comment: 'Gallery pages: kept only as long as the app says (s-maxage, anonymous viewers)',
          // 0 by default: a response without s-maxage/max-age (every private one) is not kept.
          minTtl: 0,
          defaultTtl: 0,
          maxTtl: GALLERY_MAX_TTL_SECONDS,
          parametersInCacheKeyAndForwardedToOrigin: {
            enableAcceptEncodingGzip: true,
            enableAcceptEncodingBrotli: true,
            queryStringsConfig: { queryStringBehavior: 'all' },
            // Who is asking is part of the key: an uploader's or the operator's request never
            // shares an entry with an anonymous one.
            cookiesConfig: { cookieBehavior: 'whitelist', cookies: { items: [UPLOADER_COOKIE] } },
            headersConfig: { headerBehavior: 'whitelist', headers: { items: ['Authorization'] } },
          },
        },
        parent,
      );
      const toWeb = {
        targetOriginId: WEB_ORIGIN_ID,
        viewerProtocolPolicy: 'redirect-to-https',
        compress: true,
      };
      // Named for its first job (thumbnails), so enabling the ALB origin updates it in place.
      const distribution = new aws.cloudfront.Distribution(
        `${name}-thumbnails`,
        {
          enabled: true,
          comment: 'The web tier (ALB) and the thumbnails',
          priceClass: 'PriceClass_100',
          httpVersion: 'http2and3',
          origins: [
            {
              originId: WEB_ORIGIN_ID,
              domainName: web.domainName,
              customOriginConfig: {
                httpPort: 80,
                httpsPort: 443,
                originProtocolPolicy: web.https ? 'https-only' : 'http-only',
                originSslProtocols: ['TLSv1.2'],
                // Uploads of up to 50 MiB: as long as CloudFront allows without a quota increase.
                originReadTimeout: 60,
                originKeepaliveTimeout: 5,
              },
              customHeaders: [{ name: ORIGIN_VERIFY_HEADER, value: web.verifyValue }],
            },
            {
              originId: THUMBNAILS_ORIGIN_ID,
              domainName: args.thumbnailsBucket.bucketRegionalDomainName,
              originAccessControlId: oac.id,
            },
          ],
          // Uploads, the API, delete and retry: passed through, never cached.
          defaultCacheBehavior: {
            ...toWeb,
            allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
            cachedMethods: ['GET', 'HEAD'],
            cachePolicyId: CACHING_DISABLED_POLICY_ID,
            originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_POLICY_ID,
          },
          orderedCacheBehaviors: [
            {
              ...toWeb,
              pathPattern: '/static/*',
              allowedMethods: ['GET', 'HEAD'],
              cachedMethods: ['GET', 'HEAD'],
              cachePolicyId: assetsPolicy.id,
            },
            {
              ...toWeb,
              pathPattern: '/gallery',
              allowedMethods: ['GET', 'HEAD'],
              cachedMethods: ['GET', 'HEAD'],
              cachePolicyId: galleryPolicy.id,
            },
            {
              targetOriginId: THUMBNAILS_ORIGIN_ID,
              pathPattern: 'thumbnails/*',
              viewerProtocolPolicy: 'redirect-to-https',
              allowedMethods: ['GET', 'HEAD'],
              cachedMethods: ['GET', 'HEAD'],
              cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
              compress: true,
            },
          ],
          restrictions: { geoRestriction: { restrictionType: 'none' } },
          viewerCertificate: { cloudfrontDefaultCertificate: true },
          ...(distributionAclArn ? { webAclId: distributionAclArn } : {}),
        },
        parent,
      );
      this.distributionArn = distribution.arn;
      this.thumbnailsCdnDomain = distribution.domainName;
    }

    this.registerOutputs({ webAclArn: this.webAclArn, distributionArn: this.distributionArn });
  }
}
