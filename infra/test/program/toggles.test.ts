import { loadConfig } from '@annot/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { TLS_POLICY } from '../../src/load-balancer.ts';
import { packViolations } from '../support/policy.ts';
import { ALL_ON, type ProgramRun, runProgram } from '../support/program.ts';
import { containerEnv, ofType, one, reveal, T } from '../support/resources.ts';

let off: ProgramRun;
let on: ProgramRun;
/** HTTPS and WAF without CloudFront: the ALB is the public entry point. */
let albPublic: ProgramRun;
beforeAll(async () => {
  off = await runProgram();
  on = await runProgram({ stack: 'prod', config: ALL_ON });
  albPublic = await runProgram({
    stack: 'prod',
    config: { certificateArn: ALL_ON.certificateArn, enableWaf: 'true', wafRateLimit: '500' },
  });
});

interface WafRule {
  name: string;
  statement: {
    rateBasedStatement?: unknown;
    managedRuleGroupStatement?: { name: string; ruleActionOverrides: unknown[] };
  };
}
const wafRules = (run: ProgramRun) => one(run.resources, T.webAcl).inputs.rules as WafRule[];

const listeners = (run: ProgramRun) =>
  ofType(run.resources, T.listener).sort((a, b) => a.inputs.port - b.inputs.port);
const thumbnailsPolicy = (run: ProgramRun) => {
  const bucket = one(run.resources, T.bucket, '-thumbnails');
  return JSON.parse(
    run.resources.find((r) => r.type === T.bucketPolicy && r.inputs.bucket === bucket.id)!.inputs.policy,
  );
};

describe('HTTPS', () => {
  it('off: port 80 forwards to the web tier and nothing listens on 443', () => {
    const tg = one(off.resources, T.targetGroup).state.arn;
    expect(listeners(off).map((l) => [l.inputs.port, l.inputs.defaultActions])).toEqual([
      [80, [{ type: 'forward', targetGroupArn: tg }]],
    ]);
    expect(ofType(off.resources, T.ingress).filter((r) => r.inputs.fromPort === 443)).toEqual([]);
    expect(off.outputs.galleryUrl?.value).toMatch(/^http:\/\//);
  });

  it('on: 443 serves the certificate with a TLS 1.2+ policy and 80 redirects to it', () => {
    const tg = one(albPublic.resources, T.targetGroup).state.arn;
    const [http, https] = listeners(albPublic);
    expect(https?.inputs).toMatchObject({
      port: 443,
      protocol: 'HTTPS',
      certificateArn: ALL_ON.certificateArn,
      sslPolicy: TLS_POLICY,
      defaultActions: [{ type: 'forward', targetGroupArn: tg }],
    });
    expect(http?.inputs.defaultActions).toEqual([
      { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } },
    ]);
    const albGroup = one(albPublic.resources, T.securityGroup, '-alb').id;
    const open443 = ofType(albPublic.resources, T.ingress).filter((r) => r.inputs.fromPort === 443);
    expect(open443.map((r) => [r.inputs.securityGroupId, r.inputs.cidrIpv4])).toEqual([
      [albGroup, '0.0.0.0/0'],
    ]);
    expect(albPublic.outputs.galleryUrl?.value).toMatch(/^https:\/\//);
  });
});

describe('WAF', () => {
  it('off: no web ACL', () => {
    expect(ofType(off.resources, T.webAcl)).toEqual([]);
    expect(ofType(off.resources, T.webAclAssociation)).toEqual([]);
  });

  it('on, without CloudFront: a regional web ACL with managed rule groups and the rate limit guards the ALB', () => {
    const acl = one(albPublic.resources, T.webAcl);
    expect(acl.inputs.scope).toBe('REGIONAL');
    const rules = wafRules(albPublic);
    expect(rules.find((r) => r.statement.rateBasedStatement)?.statement.rateBasedStatement).toEqual({
      limit: 500,
      aggregateKeyType: 'IP',
    });
    expect(rules.flatMap((r) => r.statement.managedRuleGroupStatement?.name ?? [])).toEqual([
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
      'AWSManagedRulesAmazonIpReputationList',
    ]);
    expect(one(albPublic.resources, T.webAclAssociation).inputs).toEqual({
      resourceArn: one(albPublic.resources, T.alb).state.arn,
      webAclArn: acl.state.arn,
    });
  });

  it('on: does not block image uploads for their body size', () => {
    const common = wafRules(on).find((r) => r.name === 'AWSManagedRulesCommonRuleSet');
    expect(common?.statement.managedRuleGroupStatement?.ruleActionOverrides).toEqual([
      { name: 'SizeRestrictions_BODY', actionToUse: { count: {} } },
    ]);
  });
});

describe('CloudFront', () => {
  it('off: no distribution, and the thumbnails bucket grants nobody', () => {
    expect(ofType(off.resources, T.distribution)).toEqual([]);
    expect(ofType(off.resources, T.oac)).toEqual([]);
    expect(thumbnailsPolicy(off).Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      'DenyInsecureTransport',
    ]);
    expect(off.outputs.thumbnailsCdnUrl?.value).toBeUndefined();
  });

  it('off: the web tier presigns thumbnails (no THUMBNAILS_BASE_URL)', () => {
    const env = containerEnv(one(off.resources, T.launchTemplate));
    expect(env).toHaveProperty('THUMBNAILS_BUCKET');
    expect(env).not.toHaveProperty('THUMBNAILS_BASE_URL');
    expect(loadConfig(env).storage.thumbnailsBaseUrl).toBeUndefined();
  });

  it('on: the web tier links thumbnails through the distribution; the workers are not told', () => {
    const domain = one(on.resources, T.distribution).state.domainName;
    expect(domain).toMatch(/\.cloudfront\.net$/);
    const env = containerEnv(one(on.resources, T.launchTemplate));
    expect(env.THUMBNAILS_BASE_URL).toBe(`https://${domain}`);
    expect(env.THUMBNAILS_BASE_URL).toBe(on.outputs.thumbnailsCdnUrl?.value);
    expect(loadConfig(env).storage.thumbnailsBaseUrl).toBe(`https://${domain}`);
    for (const fn of ofType(on.resources, T.lambda)) {
      expect(fn.inputs.environment.variables).not.toHaveProperty('THUMBNAILS_BASE_URL');
    }
  });

  it('on: a distribution reads thumbnails through origin access control, granted to it alone', () => {
    const bucket = one(on.resources, T.bucket, '-thumbnails');
    const oac = one(on.resources, T.oac);
    const distribution = one(on.resources, T.distribution);
    expect(oac.inputs).toMatchObject({
      originAccessControlOriginType: 's3',
      signingBehavior: 'always',
      signingProtocol: 'sigv4',
    });
    expect(reveal(distribution.inputs.origins)).toContainEqual({
      originId: 'thumbnails',
      domainName: bucket.state.bucketRegionalDomainName,
      originAccessControlId: oac.id,
    });
    const thumbnails = distribution.inputs.orderedCacheBehaviors.find(
      (b: { targetOriginId: string }) => b.targetOriginId === 'thumbnails',
    );
    expect(thumbnails).toMatchObject({
      pathPattern: 'thumbnails/*',
      viewerProtocolPolicy: 'redirect-to-https',
    });
    expect(thumbnailsPolicy(on).Statement).toContainEqual({
      Sid: 'CloudFrontReadsThumbnails',
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: ['s3:GetObject'],
      Resource: [`${bucket.state.arn}/thumbnails/*`],
      Condition: { StringEquals: { 'AWS:SourceArn': distribution.state.arn } },
    });
    expect(on.outputs.thumbnailsCdnUrl?.value).toBe(`https://${distribution.state.domainName}`);
  });
});

describe('names across stacks', () => {
  it('the dev and prod stacks never share an explicit name: the ALB and target group have none', () => {
    for (const type of [T.alb, T.targetGroup])
      for (const run of [off, on]) expect(one(run.resources, type).inputs.name).toBeUndefined();
    for (const type of [T.lambda, T.repository]) {
      const names = (run: typeof off) => ofType(run.resources, type).map((r) => r.inputs.name as string);
      for (const name of names(on)) expect(names(off)).not.toContain(name);
    }
  });
});

describe('the policy pack', () => {
  it('passes with every toggle off', () => {
    expect(packViolations(off.resources)).toEqual([]);
  });

  it('passes with every toggle on', () => {
    expect(packViolations(on.resources)).toEqual([]);
  });
});
