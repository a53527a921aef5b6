/**
 * The three stack options of issue 13, each off by default and on in ALL_ON (the production
 * example): the shared cache (enableCache), read replicas (readReplicaCount), and CloudFront in
 * front of the ALB (enableCloudFront), with WAF on whichever entry point is public.
 */
import { loadConfig } from '@annot/config';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_VIEWER_EXCEPT_HOST_POLICY_ID,
  CACHING_DISABLED_POLICY_ID,
  CLOUDFRONT_ORIGIN_PREFIX_LIST,
  ORIGIN_VERIFY_HEADER,
  UPLOADER_COOKIE,
} from '../../src/edge.ts';
import { allows } from '../support/iam.ts';
import {
  ALL_ON,
  GEMINI_KEY,
  PROJECT,
  type ProgramRun,
  runProgram,
  runProgramExpectingError,
} from '../support/program.ts';
import { byId, containerEnv, isSecretValue, ofType, one, reveal, T } from '../support/resources.ts';

let off: ProgramRun;
let on: ProgramRun;
beforeAll(async () => {
  off = await runProgram();
  on = await runProgram({ stack: 'prod', config: ALL_ON });
});

const webEnv = (run: ProgramRun) => containerEnv(one(run.resources, T.launchTemplate));
const webPolicy = (run: ProgramRun) =>
  JSON.parse(run.resources.find((r) => r.type === T.rolePolicy && r.name.startsWith('web-'))!.inputs.policy);
const userDataText = (run: ProgramRun) =>
  Buffer.from(one(run.resources, T.launchTemplate).inputs.userData, 'base64').toString('utf8');

describe('enableCache: ElastiCache for Valkey shared by the web tier', () => {
  it('off: no cache, and the web tier runs without REDIS_URL', () => {
    expect(ofType(off.resources, T.replicationGroup)).toEqual([]);
    expect(webEnv(off)).not.toHaveProperty('REDIS_URL');
    expect(loadConfig(webEnv(off)).redis).toBeUndefined();
    expect(off.outputs.cacheEndpoint?.value).toBeUndefined();
  });

  it('on: Valkey in the private subnets, encrypted in transit and at rest, behind a secret AUTH token', () => {
    const group = one(on.resources, T.replicationGroup);
    expect(group.inputs).toMatchObject({
      engine: 'valkey',
      port: 6379,
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      numCacheClusters: 2,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      subnetGroupName: one(on.resources, T.cacheSubnetGroup).state.name,
      securityGroupIds: [one(on.resources, T.securityGroup, 'cache-sg').id],
    });
    expect(isSecretValue(group.inputs.authToken)).toBe(true);
    expect(one(on.resources, T.cacheSubnetGroup).inputs.subnetIds).toEqual([
      'subnet-private-1',
      'subnet-private-2',
    ]);
  });

  it('on: only the web tier may reach it, on 6379, and the web tier may reach nothing else new', () => {
    const cacheGroup = one(on.resources, T.securityGroup, 'cache-sg').id;
    const webGroup = one(on.resources, T.securityGroup, '-web').id;
    const into = ofType(on.resources, T.ingress).filter((r) => r.inputs.securityGroupId === cacheGroup);
    expect(into.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.referencedSecurityGroupId])).toEqual(
      [[6379, 6379, webGroup]],
    );
    const webOut = ofType(on.resources, T.egress).filter(
      (r) => r.inputs.securityGroupId === webGroup && r.inputs.referencedSecurityGroupId === cacheGroup,
    );
    expect(webOut.map((r) => r.inputs.fromPort)).toEqual([6379]);
    expect(ofType(on.resources, T.egress).filter((r) => r.inputs.securityGroupId === cacheGroup)).toEqual([]);
  });

  it('on: the web tier gets rediss:// and the token by secret ARN, never the token itself', () => {
    const env = webEnv(on);
    const host = one(on.resources, T.replicationGroup).state.primaryEndpointAddress;
    expect(env.REDIS_URL).toBe(`rediss://${host}:6379`);
    const tokenSecret = one(on.resources, T.secret, 'cache-auth-token');
    expect(env.REDIS_AUTH_TOKEN_SECRET_ARN).toBe(tokenSecret.state.arn);
    const tokenVersion = one(on.resources, T.secretVersion, 'cache-auth-token');
    expect(isSecretValue(tokenVersion.inputs.secretString)).toBe(true);
    const token = reveal(tokenVersion.inputs.secretString) as string;
    expect(token.length).toBeGreaterThanOrEqual(16);
    expect(userDataText(on)).not.toContain(token);
    // The group takes the kept secret's value, so a replaced group still accepts the web tier's token.
    expect(reveal(one(on.resources, T.replicationGroup).inputs.authToken)).toBe(token);
    expect(allows(webPolicy(on), 'secretsmanager:GetSecretValue', String(tokenSecret.state.arn))).toBe(true);
    expect(loadConfig(env).redis).toMatchObject({ url: `rediss://${host}:6379` });
    // The workers do not use it.
    for (const fn of ofType(on.resources, T.lambda)) {
      expect(fn.inputs.environment.variables).not.toHaveProperty('REDIS_URL');
    }
    expect(on.outputs.cacheEndpoint?.value).toBe(`${host}:6379`);
  });

  it('with one node: no replica and no failover', async () => {
    const single = await runProgram({ config: { enableCache: 'true' } });
    expect(one(single.resources, T.replicationGroup).inputs).toMatchObject({
      numCacheClusters: 1,
      automaticFailoverEnabled: false,
      multiAzEnabled: false,
      nodeType: 'cache.t4g.micro',
    });
  });
});

describe('readReplicaCount: RDS read replicas for the gallery and search', () => {
  it('off: one database instance, and the web tier has no read host', () => {
    expect(ofType(off.resources, T.rds)).toHaveLength(1);
    expect(webEnv(off)).not.toHaveProperty('DB_READ_HOST');
    expect(off.outputs.databaseReadEndpoints?.value).toBeUndefined();
  });

  it('on: replicas of the primary, encrypted, private, in the database security group, autonamed', () => {
    const primary = ofType(on.resources, T.rds).find((r) => !r.inputs.replicateSourceDb)!;
    const replicas = ofType(on.resources, T.rds).filter((r) => r.inputs.replicateSourceDb);
    expect(replicas).toHaveLength(2);
    for (const replica of replicas) {
      expect(replica.inputs).toMatchObject({
        replicateSourceDb: primary.state.identifier,
        instanceClass: primary.inputs.instanceClass,
        storageEncrypted: true,
        publiclyAccessible: false,
        vpcSecurityGroupIds: primary.inputs.vpcSecurityGroupIds,
        deletionProtection: true,
      });
      // Autonamed: a replacement never clashes with the name it replaces.
      expect(replica.inputs.identifier).toBeUndefined();
      // A replica has no users of its own to manage, and no secret.
      expect(replica.inputs.manageMasterUserPassword).toBeUndefined();
    }
  });

  it('on: the web tier reads from them with the primary’s secret; the workers do not', () => {
    const env = webEnv(on);
    const addresses = ofType(on.resources, T.rds)
      .filter((r) => r.inputs.replicateSourceDb)
      .map((r) => r.state.address);
    expect(env.DB_READ_HOST).toBe(addresses.join(','));
    const config = loadConfig(env);
    expect(config.database.kind === 'mysql' && config.database.replica?.host).toSatisfy((host: unknown) =>
      addresses.includes(host as string),
    );
    for (const fn of ofType(on.resources, T.lambda)) {
      expect(fn.inputs.environment.variables).not.toHaveProperty('DB_READ_HOST');
    }
    expect(on.outputs.databaseReadEndpoints?.value).toEqual(addresses);
  });
});

describe('enableCloudFront: the distribution fronts the ALB', () => {
  const distribution = (run: ProgramRun) => one(run.resources, T.distribution);
  const webOrigin = (run: ProgramRun) =>
    reveal(distribution(run).inputs.origins).find((o: { originId: string }) => o.originId === 'web');
  const behaviour = (run: ProgramRun, pattern: string) =>
    distribution(run).inputs.orderedCacheBehaviors.find(
      (b: { pathPattern: string }) => b.pathPattern === pattern,
    );
  const policyOf = (run: ProgramRun, id: string) => byId(run.resources, id)!.inputs;

  it('uploads, the API, deletes and retries pass through uncached with the viewer’s headers, cookies and query', () => {
    expect(distribution(on).inputs.defaultCacheBehavior).toMatchObject({
      targetOriginId: 'web',
      viewerProtocolPolicy: 'redirect-to-https',
      allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
      cachePolicyId: CACHING_DISABLED_POLICY_ID,
      originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_POLICY_ID,
    });
  });

  it('static assets are cached with the ?v= fingerprint in the key, by the app’s Cache-Control', () => {
    const assets = behaviour(on, '/static/*');
    expect(assets).toMatchObject({ targetOriginId: 'web', allowedMethods: ['GET', 'HEAD'] });
    const policy = policyOf(on, assets.cachePolicyId);
    expect(policy.parametersInCacheKeyAndForwardedToOrigin).toMatchObject({
      queryStringsConfig: { queryStringBehavior: 'whitelist', queryStrings: { items: ['v'] } },
      cookiesConfig: { cookieBehavior: 'none' },
    });
    expect(policy.maxTtl).toBe(31_536_000);
  });

  it('gallery pages are cached only as the app says, keyed by who is asking', () => {
    const gallery = behaviour(on, '/gallery');
    expect(gallery).toMatchObject({ targetOriginId: 'web', allowedMethods: ['GET', 'HEAD'] });
    const policy = policyOf(on, gallery.cachePolicyId);
    // Nothing is kept without s-maxage from the app (a viewer's own page is private).
    expect(policy).toMatchObject({ minTtl: 0, defaultTtl: 0 });
    expect(policy.parametersInCacheKeyAndForwardedToOrigin).toMatchObject({
      queryStringsConfig: { queryStringBehavior: 'all' },
      cookiesConfig: { cookieBehavior: 'whitelist', cookies: { items: [UPLOADER_COOKIE] } },
      headersConfig: { headerBehavior: 'whitelist', headers: { items: ['Authorization'] } },
    });
    // The live fragment is not this behaviour's: it falls to the uncached default.
    expect(behaviour(on, '/gallery/cards')).toBeUndefined();
  });

  it('with a certificate: HTTPS to the ALB by the name in it; the ALB forwards only requests with the secret header', () => {
    expect(webOrigin(on)).toMatchObject({
      domainName: ALL_ON.albDomainName,
      customOriginConfig: { originProtocolPolicy: 'https-only', originSslProtocols: ['TLSv1.2'] },
    });
    const header = webOrigin(on).customHeaders[0];
    expect(header.name).toBe(ORIGIN_VERIFY_HEADER);
    expect(header.value.length).toBeGreaterThanOrEqual(32);
    const https = ofType(on.resources, T.listener).find((l) => l.inputs.port === 443)!;
    expect(https.inputs.defaultActions).toEqual([
      expect.objectContaining({
        type: 'fixed-response',
        fixedResponse: expect.objectContaining({ statusCode: '403' }),
      }),
    ]);
    const rule = one(on.resources, T.listenerRule);
    expect(rule.inputs.listenerArn).toBe(https.state.arn);
    expect(reveal(rule.inputs.conditions)).toEqual([
      { httpHeader: { httpHeaderName: ORIGIN_VERIFY_HEADER, values: [header.value] } },
    ]);
    expect(rule.inputs.actions).toEqual([
      { type: 'forward', targetGroupArn: one(on.resources, T.targetGroup).state.arn },
    ]);
  });

  it('the ALB admits CloudFront’s origin-facing addresses only, on the one port it uses', () => {
    const albGroup = one(on.resources, T.securityGroup, '-alb').id;
    const ingress = ofType(on.resources, T.ingress).filter((r) => r.inputs.securityGroupId === albGroup);
    expect(ingress.map((r) => [r.inputs.fromPort, r.inputs.prefixListId, r.inputs.cidrIpv4])).toEqual([
      [443, 'pl-3b927c52', undefined],
    ]);
  });

  it('without a certificate: HTTP to the ALB’s own name, admitted on 80 from CloudFront only', async () => {
    const plain = await runProgram({ config: { enableCloudFront: 'true' } });
    expect(webOrigin(plain)).toMatchObject({
      domainName: one(plain.resources, T.alb).state.dnsName,
      customOriginConfig: { originProtocolPolicy: 'http-only' },
    });
    const albGroup = one(plain.resources, T.securityGroup, '-alb').id;
    const ingress = ofType(plain.resources, T.ingress).filter((r) => r.inputs.securityGroupId === albGroup);
    expect(ingress.map((r) => [r.inputs.fromPort, r.inputs.prefixListId])).toEqual([[80, 'pl-3b927c52']]);
    const http = one(plain.resources, T.listener);
    expect(http.inputs.defaultActions[0].type).toBe('fixed-response');
    expect(one(plain.resources, T.listenerRule).inputs.listenerArn).toBe(http.state.arn);
    // No WAF asked for: no us-east-1 provider either.
    expect(ofType(plain.resources, T.provider).map((p) => p.name)).toEqual(['aws']);
  });

  it('the gallery URL is the distribution’s, and the app knows its public origin', () => {
    const domain = distribution(on).state.domainName;
    expect(on.outputs.galleryUrl?.value).toBe(`https://${domain}/gallery`);
    expect(webEnv(on).PUBLIC_ORIGIN).toBe(`https://${domain}`);
    expect(loadConfig(webEnv(on)).server.publicOrigin).toBe(`https://${domain}`);
    expect(webEnv(off)).not.toHaveProperty('PUBLIC_ORIGIN');
  });

  it('off: the ALB is open to the internet on 80 and has no listener rule', () => {
    const albGroup = one(off.resources, T.securityGroup, '-alb').id;
    const ingress = ofType(off.resources, T.ingress).filter((r) => r.inputs.securityGroupId === albGroup);
    expect(ingress.map((r) => [r.inputs.fromPort, r.inputs.cidrIpv4])).toEqual([[80, '0.0.0.0/0']]);
    expect(ofType(off.resources, T.listenerRule)).toEqual([]);
  });
});

describe('WAF on whichever entry point is public', () => {
  it('with CloudFront: a CLOUDFRONT-scope web ACL in us-east-1 on the distribution, none on the ALB', () => {
    const acl = one(on.resources, T.webAcl);
    expect(acl.inputs.scope).toBe('CLOUDFRONT');
    const usEast1 = one(on.resources, T.provider, 'aws-us-east-1');
    expect(usEast1.inputs.region).toBe('us-east-1');
    expect(acl.provider).toContain('aws-us-east-1');
    expect(one(on.resources, T.distribution).inputs.webAclId).toBe(acl.state.arn);
    expect(ofType(on.resources, T.webAclAssociation)).toEqual([]);
    expect(CLOUDFRONT_ORIGIN_PREFIX_LIST).toBe('com.amazonaws.global.cloudfront.origin-facing');
  });
});

describe('the options’ config is checked before any resource exists', () => {
  it.each([
    [
      'albDomainName',
      { enableCloudFront: 'true', certificateArn: ALL_ON.certificateArn },
      /albDomainName: is required with enableCloudFront and certificateArn/,
    ],
    ['albDomainName', { albDomainName: 'origin.example.com' }, /albDomainName: is only used with/],
    [
      'certificateArn',
      { enableCloudFront: 'true', production: 'true' },
      /certificateArn: is required with enableCloudFront in production/,
    ],
    [
      'cacheNodeType',
      { enableCache: 'true', cacheNodeType: 'm5.large' },
      /cacheNodeType: must be a node type/,
    ],
    [
      'cacheNodeCount',
      { enableCache: 'true', cacheNodeCount: '7' },
      /cacheNodeCount: must be between 1 and 6/,
    ],
    ['readReplicaCount', { readReplicaCount: '6' }, /readReplicaCount: must be between 0 and 5/],
  ])('%s', async (key, config, message) => {
    const { error, resources } = await runProgramExpectingError({
      config: { geminiApiKey: GEMINI_KEY, ...config },
    });
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`${PROJECT}:${key}`);
    expect(resources).toEqual([]);
  });
});
