/**
 * The platform on AWS: reads and validates the stack config, builds the components and exports the
 * stack outputs. Nothing else happens here.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Buckets } from './buckets.ts';
import { Cache } from './cache.ts';
import { parseStackConfig } from './config.ts';
import { Database } from './database.ts';
import { CLOUDFRONT_ORIGIN_PREFIX_LIST, Edge, ORIGIN_VERIFY_HEADER, OriginVerifySecret } from './edge.ts';
import { InterfaceEndpoints } from './endpoints.ts';
import { Events } from './events.ts';
import { Images } from './images.ts';
import { WorkerFunction } from './lambdas.ts';
import { LoadBalancer } from './load-balancer.ts';
import { SchemaMigration } from './migration.ts';
import { Monitoring } from './monitoring.ts';
import { resourceNames, standardTags, WEB_PORT } from './naming.ts';
import { Network } from './network.ts';
import { ReadReplicas } from './read-replicas.ts';
import { Secrets } from './secrets.ts';
import { Security } from './security.ts';
import { WebTier } from './web.ts';

// Config first: a bad stack config fails here, with every problem listed, before any resource exists.
const config = parseStackConfig(new pulumi.Config(), {
  project: pulumi.getProject(),
  stack: pulumi.getStack(),
  region: new pulumi.Config('aws').get('region'),
});
const names = resourceNames(config);
const tags = standardTags(config, config.owner);

// Every AWS resource goes through this provider, which tags whatever takes tags.
const provider = new aws.Provider('aws', { region: config.region as aws.Region, defaultTags: { tags } });
const opts = { providers: { aws: provider } };

const network = new Network('network', { region: config.region, ...config.network, tags }, opts);
// With CloudFront in front, the ALB admits CloudFront's origin-facing addresses only.
const cdnPrefixList = config.cloudFront
  ? aws.ec2.getManagedPrefixListOutput({ name: CLOUDFRONT_ORIGIN_PREFIX_LIST }, { provider }).id
  : undefined;
const security = new Security(
  'security',
  {
    vpcId: network.vpcId,
    webPort: WEB_PORT,
    https: Boolean(config.certificateArn),
    albIngressPrefixListId: cdnPrefixList,
  },
  opts,
);
if (config.network.interfaceEndpoints) {
  new InterfaceEndpoints(
    'endpoints',
    {
      region: config.region,
      vpcId: network.vpcId,
      privateSubnetIds: network.privateSubnetIds,
      clientSecurityGroupIds: {
        web: security.webSecurityGroupId,
        lambda: security.lambdaSecurityGroupId,
      },
    },
    opts,
  );
}
const secrets = new Secrets(
  'secrets',
  { geminiApiKey: config.geminiApiKey, production: config.production },
  opts,
);

// The thumbnails bucket policy names the CloudFront distribution, which itself needs the bucket.
const [distributionArn, setDistributionArn] = pulumi.deferredOutput<string | undefined>();
const buckets = new Buckets(
  'storage',
  {
    production: config.production,
    noncurrentVersionDays: config.noncurrentVersionDays,
    thumbnailsDistributionArn: distributionArn,
  },
  opts,
);

const database = new Database(
  'database',
  {
    identifier: names.database,
    settings: config.database,
    production: config.production,
    privateSubnetIds: network.privateSubnetIds,
    securityGroupId: security.databaseSecurityGroupId,
    logRetentionDays: config.logRetentionDays,
  },
  opts,
);

const readReplicas =
  config.readReplicaCount > 0
    ? new ReadReplicas(
        'database-replicas',
        {
          count: config.readReplicaCount,
          sourceIdentifier: database.identifier,
          instanceClass: config.database.instanceClass,
          parameterGroupName: database.parameterGroupName,
          securityGroupId: security.databaseSecurityGroupId,
          production: config.production,
        },
        opts,
      )
    : undefined;

const cache = config.cache
  ? new Cache(
      'cache',
      {
        ...config.cache,
        production: config.production,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        webSecurityGroupId: security.webSecurityGroupId,
      },
      opts,
    )
  : undefined;

const images = new Images(
  'images',
  { repositoryNames: names.repositories, production: config.production, annotator: config.annotatorChoice },
  opts,
);

// The schema is migrated before any workload that needs it is created or updated.
const migration = new SchemaMigration(
  'migration',
  {
    functionName: names.migration,
    imageUri: images.thumbnailer.imageUri,
    timeoutSeconds: config.migrationTimeoutSeconds,
    logRetentionDays: config.logRetentionDays,
    subnetIds: network.privateSubnetIds,
    securityGroupId: security.lambdaSecurityGroupId,
    database,
  },
  opts,
);

const workerArgs = {
  retry: config.lambdaRetry,
  queueRetentionDays: config.dlqRetentionDays,
  logRetentionDays: config.logRetentionDays,
  subnetIds: network.privateSubnetIds,
  securityGroupId: security.lambdaSecurityGroupId,
  originals: buckets.originals,
  thumbnails: buckets.thumbnails,
  database,
  appEnv: config.appEnv,
  poolSize: config.pools.worker,
  dependsOn: [migration.invocation],
};
const annotatorCommon = {
  ...workerArgs,
  kind: 'annotator',
  functionName: names.annotator,
  imageUri: images.annotator.imageUri,
  settings: config.annotator,
} as const;
const annotator = new WorkerFunction(
  'annotator',
  secrets.geminiApiKeySecretArn
    ? { ...annotatorCommon, annotator: 'gemini', geminiApiKeySecretArn: secrets.geminiApiKeySecretArn }
    : { ...annotatorCommon, annotator: 'local' },
  opts,
);
const thumbnailer = new WorkerFunction(
  'thumbnailer',
  {
    ...workerArgs,
    kind: 'thumbnailer',
    functionName: names.thumbnailer,
    imageUri: images.thumbnailer.imageUri,
    settings: config.thumbnailer,
  },
  opts,
);

const workerFunctions = { annotator: annotator.function, thumbnailer: thumbnailer.function };

const events = new Events(
  'events',
  {
    originalsBucketName: buckets.originals.bucket,
    functions: workerFunctions,
    retry: config.eventRetry,
    dlqRetentionDays: config.dlqRetentionDays,
  },
  opts,
);

// The header CloudFront adds and the ALB requires (with enableCloudFront).
const originVerify = config.cloudFront
  ? new OriginVerifySecret('origin-verify', { production: config.production }, opts)
  : undefined;
const loadBalancer = new LoadBalancer(
  'web-lb',
  {
    vpcId: network.vpcId,
    publicSubnetIds: network.publicSubnetIds,
    securityGroupId: security.albSecurityGroupId,
    port: WEB_PORT,
    certificateArn: config.certificateArn,
    requiredHeader: originVerify ? { name: ORIGIN_VERIFY_HEADER, value: originVerify.value } : undefined,
  },
  opts,
);

// Before the web tier, which links thumbnails through the distribution when there is one.
const edge = new Edge(
  'edge',
  {
    waf: config.waf ? { name: names.webAcl, rateLimit: config.waf.rateLimit } : undefined,
    loadBalancerArn: loadBalancer.arn,
    cloudFront: config.cloudFront,
    thumbnailsBucket: buckets.thumbnails,
    webOrigin: originVerify && {
      domainName: config.albDomainName ?? loadBalancer.dnsName,
      https: Boolean(config.certificateArn),
      verifyValue: originVerify.value,
    },
    // CLOUDFRONT-scope web ACLs live in us-east-1, whatever the stack's region.
    usEast1Provider:
      config.cloudFront && config.waf
        ? new aws.Provider('aws-us-east-1', { region: 'us-east-1', defaultTags: { tags } })
        : undefined,
  },
  opts,
);
setDistributionArn(edge.distributionArn ?? pulumi.output(undefined));

const web = new WebTier(
  'web',
  {
    settings: config.web,
    region: config.region,
    port: WEB_PORT,
    logGroupName: names.webLogGroup,
    logRetentionDays: config.logRetentionDays,
    tags,
    privateSubnetIds: network.privateSubnetIds,
    securityGroupId: security.webSecurityGroupId,
    targetGroupArn: loadBalancer.targetGroupArn,
    image: images.web,
    originals: buckets.originals,
    thumbnails: buckets.thumbnails,
    database,
    appEnv: config.appEnv,
    thumbnailsCdnDomain: edge.thumbnailsCdnDomain,
    eventBus: { name: events.busName, arn: events.busArn },
    cookieSecretArn: secrets.cookieSecretArn,
    adminTokenSecretArn: secrets.adminTokenSecretArn,
    poolSize: config.pools.web,
    migrated: [migration.invocation],
    network: network.ready,
    cache,
    readReplicaHosts: readReplicas?.addresses,
  },
  opts,
);

const deadLetterQueues = {
  annotatorEvents: events.deadLetterQueues.annotator,
  thumbnailerEvents: events.deadLetterQueues.thumbnailer,
  annotatorFailures: annotator.failureQueue,
  thumbnailerFailures: thumbnailer.failureQueue,
};
new Monitoring(
  'monitoring',
  {
    alarmEmail: config.alarmEmail,
    queues: deadLetterQueues,
    functions: workerFunctions,
    loadBalancerArnSuffix: loadBalancer.arnSuffix,
    targetGroupArnSuffix: loadBalancer.targetGroupArnSuffix,
    databaseIdentifier: database.identifier,
    databaseStorageGb: config.database.allocatedStorageGb,
  },
  opts,
);

/** The public entry point: the distribution with CloudFront in front (the ALB then admits only it). */
export const galleryUrl = edge.thumbnailsCdnDomain
  ? pulumi.interpolate`https://${edge.thumbnailsCdnDomain}/gallery`
  : pulumi.interpolate`${loadBalancer.url}gallery`;
export const loadBalancerDnsName = loadBalancer.dnsName;
export const originalsBucketName = buckets.originals.bucket;
export const thumbnailsBucketName = buckets.thumbnails.bucket;
export const databaseEndpoint = pulumi.interpolate`${database.address}:${database.port}`;
export const annotatorFunctionName = annotator.function.name;
export const thumbnailerFunctionName = thumbnailer.function.name;
/** The function `pulumi up` invokes to migrate the schema; invoke it by hand to check the schema. */
export const migrationFunctionName = migration.function.name;
export const deadLetterQueueUrls = pulumi.output(
  Object.fromEntries(Object.entries(deadLetterQueues).map(([key, queue]) => [key, queue.url])),
);
export const webAutoScalingGroupName = web.autoScalingGroupName;
export const webRepositoryUrl = images.web.repositoryUrl;
/** The ARN of the operator's admin token, never its value: `aws secretsmanager get-secret-value` reads it. */
export const adminTokenSecretArn = secrets.adminTokenSecretArn;
export const thumbnailsCdnUrl = edge.thumbnailsCdnDomain
  ? pulumi.interpolate`https://${edge.thumbnailsCdnDomain}`
  : undefined;
/** The read replicas' endpoints (readReplicaCount), when there are any. */
export const databaseReadEndpoints = readReplicas?.addresses;
/** The shared cache's primary endpoint (enableCache); its AUTH token is in Secrets Manager. */
export const cacheEndpoint = cache ? pulumi.interpolate`${cache.host}:${cache.port}` : undefined;
