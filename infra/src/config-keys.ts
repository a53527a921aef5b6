/**
 * Every stack config key the program reads, with its default and meaning. The README's config
 * table lists the same keys (a test keeps the two in step), and the parser refuses to read a key
 * that is not listed here.
 */
export interface ConfigKey {
  readonly key: string;
  /** The default as it would be typed in Pulumi.<stack>.yaml; undefined: required or off. */
  readonly default: string | undefined;
  readonly description: string;
  readonly secret?: boolean;
}

export const CONFIG_KEYS = [
  {
    key: 'owner',
    default: undefined,
    description: 'Required. Team or person tagged as `owner` on every resource.',
  },
  {
    key: 'production',
    default: 'false',
    description:
      'Marks a production stack: RDS deletion protection and a final snapshot; the database and the buckets are `protect`ed in Pulumi; buckets and ECR repositories are never emptied by a destroy; secrets keep a 7-day recovery window.',
  },
  {
    key: 'annotator',
    default: 'gemini',
    description:
      'Which annotator the annotator Lambda runs: `gemini` (Google Gemini; needs `geminiApiKey`) or `local` (the offline vision models inside its image, built with `ANNOTATOR=local`; no key, no Gemini secret).',
  },
  {
    key: 'geminiApiKey',
    default: undefined,
    secret: true,
    description:
      'Required secret with `annotator: gemini` (`pulumi config set --secret geminiApiKey`; not read with `local`). Stored in Secrets Manager; the annotator fetches it at start.',
  },
  // network
  { key: 'vpcCidr', default: '10.0.0.0/16', description: 'VPC CIDR block.' },
  {
    key: 'availabilityZoneCount',
    default: '2',
    description: 'Availability zones to spread subnets over (2-6).',
  },
  {
    key: 'publicSubnetCidrs',
    default: '["10.0.1.0/24","10.0.2.0/24"]',
    description: 'One public subnet per AZ (ALB, NAT gateway).',
  },
  {
    key: 'privateSubnetCidrs',
    default: '["10.0.101.0/24","10.0.102.0/24"]',
    description: 'One private subnet per AZ (web instances, Lambdas, RDS).',
  },
  {
    key: 'natGatewayPerAz',
    default: 'false',
    description:
      'One NAT gateway per AZ (each private subnet keeps its internet route when an AZ fails; a production choice) instead of one for the VPC.',
  },
  {
    key: 'enableInterfaceEndpoints',
    default: 'false',
    description:
      'Interface VPC endpoints for Secrets Manager, ECR (api and dkr), CloudWatch Logs, STS and SSM (ssm, ssmmessages, ec2messages) in the private subnets, so the Lambdas and instances reach those APIs without the NAT gateway (each endpoint costs per AZ-hour).',
  },
  // web tier
  { key: 'webInstanceType', default: 't3.micro', description: 'EC2 instance type of the web tier (x86_64).' },
  {
    key: 'webAmiParameter',
    default: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    description: 'SSM public parameter the launch template resolves the AMI from at launch.',
  },
  { key: 'webRootVolumeGb', default: '16', description: 'Encrypted gp3 root volume size of web instances.' },
  { key: 'asgMinSize', default: '1', description: 'Auto Scaling group minimum.' },
  { key: 'asgMaxSize', default: '2', description: 'Auto Scaling group maximum.' },
  {
    key: 'asgDesiredCapacity',
    default: '1',
    description: 'Auto Scaling group desired capacity at creation (scaling owns it afterwards).',
  },
  {
    key: 'asgHealthCheckGraceSeconds',
    default: '300',
    description: 'Grace period before ELB health checks count.',
  },
  { key: 'asgCpuTargetPercent', default: '20', description: 'Target-tracking policy: average CPU to hold.' },
  // database
  { key: 'dbInstanceClass', default: 'db.t3.micro', description: 'RDS instance class.' },
  { key: 'dbAllocatedStorageGb', default: '20', description: 'gp3 storage (20-16384 GiB).' },
  {
    key: 'dbMaxAllocatedStorageGb',
    default: '100',
    description:
      'Storage autoscaling ceiling (at least dbAllocatedStorageGb; equal to it turns autoscaling off).',
  },
  {
    key: 'dbEngineVersion',
    default: '8.4',
    description: 'MySQL engine version: 8.4 (LTS) or 8.0, or a minor version of either (8.4.x, 8.0.x).',
  },
  {
    key: 'dbEngineLifecycleSupport',
    default: 'open-source-rds-extended-support-disabled',
    description:
      'RDS Extended Support: `open-source-rds-extended-support-disabled` (a version past its standard support is refused, not billed) or `open-source-rds-extended-support` (paid; needed to create or keep 8.0 after 2026-07-31).',
  },
  {
    key: 'dbSlowQuerySeconds',
    default: '1',
    description:
      'Statements slower than this go to the slow query log, exported to CloudWatch (`long_query_time`, 0.1-60).',
  },
  { key: 'dbName', default: 'images', description: 'Database created in the instance.' },
  {
    key: 'dbUsername',
    default: 'annot',
    description: 'Master user; RDS generates and rotates its password in Secrets Manager.',
  },
  { key: 'dbBackupRetentionDays', default: '7', description: 'Automated backup retention (1-35 days).' },
  { key: 'dbMultiAz', default: 'false', description: 'Run RDS Multi-AZ.' },
  {
    key: 'noncurrentVersionDays',
    default: '30',
    description: 'Days S3 keeps replaced or deleted object versions (1-3650).',
  },
  // workers
  {
    key: 'annotatorMemoryMb',
    default: undefined,
    description:
      'Annotator Lambda memory. Unset: 512 with `annotator: gemini`, 2048 with `local` (the local vision image peaked at 1181 MiB RSS over the fixtures; the Gemini one at 157 MiB: BENCHMARKS.md, "Lambda cold starts").',
  },
  {
    key: 'annotatorTimeoutSeconds',
    default: '60',
    description:
      "Annotator Lambda timeout. Preview refuses one shorter than the Gemini attempts' worst case (56.5 s with the defaults; not checked with `annotator: local`).",
  },
  {
    key: 'annotatorReservedConcurrency',
    default: undefined,
    description:
      'Optional annotator reserved concurrency (caps Gemini calls and DB connections). Unset: no reservation. Needs an account concurrency quota above 10 (see the README).',
  },
  { key: 'thumbnailerMemoryMb', default: '256', description: 'Thumbnailer Lambda memory.' },
  { key: 'thumbnailerTimeoutSeconds', default: '30', description: 'Thumbnailer Lambda timeout.' },
  {
    key: 'thumbnailerReservedConcurrency',
    default: undefined,
    description:
      'Optional thumbnailer reserved concurrency (caps DB connections). Unset: no reservation. Needs an account concurrency quota above 10 (see the README).',
  },
  {
    key: 'unreservedLambdaConcurrency',
    default: '10',
    description:
      'The account concurrency the workers without a reservation share (its quota: 10 on new accounts, 1000 by default); the connection budget counts it.',
  },
  {
    key: 'webDbPoolSize',
    default: '4',
    description: 'MySQL connections per web process (DB_POOL_SIZE of the web container).',
  },
  {
    key: 'workerDbPoolSize',
    default: '2',
    description: 'MySQL connections per worker Lambda instance (DB_POOL_SIZE of the workers).',
  },
  {
    key: 'dbMaxConnections',
    default: undefined,
    description:
      "Optional. The database's max_connections for the connection budget; unset, estimated from dbInstanceClass like RDS's default (memory / 12 MiB, less a quarter for the OS).",
  },
  {
    key: 'migrationTimeoutSeconds',
    default: '300',
    description: 'Timeout of the migration function that `pulumi up` invokes before updating the workloads.',
  },
  {
    key: 'eventRetryAttempts',
    default: '10',
    description: 'EventBridge retries per target before the event goes to the target DLQ (0-185).',
  },
  {
    key: 'eventMaxAgeSeconds',
    default: '3600',
    description: 'EventBridge gives up delivering an event after this age (60-86400).',
  },
  {
    key: 'lambdaRetryAttempts',
    default: '2',
    description: 'Lambda async retries of a failed invocation before the on-failure destination (0-2).',
  },
  {
    key: 'lambdaMaxEventAgeSeconds',
    default: '3600',
    description: 'Lambda drops queued async events older than this (60-21600).',
  },
  {
    key: 'dlqRetentionDays',
    default: '14',
    description: 'How long dead-letter and failure queues keep messages (1-14).',
  },
  {
    key: 'appEnv',
    default: '{}',
    description:
      'Extra app settings for web and workers, e.g. `{"GEMINI_MODEL":"gemini-3.5-flash","THUMBNAIL_WIDTH":"256"}` (names from packages/config).',
  },
  // operations
  {
    key: 'logRetentionDays',
    default: '30',
    description: 'Retention of every log group (a CloudWatch-allowed value).',
  },
  {
    key: 'alarmEmail',
    default: undefined,
    description: 'Optional. Creates an SNS topic with this email subscribed; every alarm notifies it.',
  },
  // optional edge
  {
    key: 'certificateArn',
    default: undefined,
    description:
      'Optional. ACM certificate (same region) for an HTTPS listener; HTTP then redirects to HTTPS.',
  },
  {
    key: 'enableWaf',
    default: 'false',
    description: 'Attach a WAF web ACL (AWS managed rule groups + a per-IP rate limit) to the ALB.',
  },
  {
    key: 'wafRateLimit',
    default: '1000',
    description: 'Requests per 5 minutes per IP before WAF blocks (with enableWaf).',
  },
  {
    key: 'enableCloudFront',
    default: 'false',
    description:
      'Put a CloudFront distribution in front of the ALB and the thumbnails bucket (origin access control): static assets and anonymous gallery pages are cached at the edge, uploads and the API pass through uncached; the ALB then admits CloudFront only, and WAF (enableWaf) moves to the distribution.',
  },
  {
    key: 'albDomainName',
    default: undefined,
    description:
      'With enableCloudFront and certificateArn: a DNS name covered by the certificate that points at the ALB; CloudFront reaches the ALB over HTTPS by it. Without a certificate CloudFront reaches the ALB over HTTP.',
  },
  // optional capacity
  {
    key: 'enableCache',
    default: 'false',
    description:
      'Create an ElastiCache for Valkey replication group (TLS, AUTH token in Secrets Manager) that the web processes share gallery pages and presigned URLs through (REDIS_URL).',
  },
  {
    key: 'cacheNodeType',
    default: 'cache.t4g.micro',
    description: 'ElastiCache node type (with enableCache).',
  },
  {
    key: 'cacheNodeCount',
    default: '1',
    description:
      'Cache nodes (1-6, with enableCache); 2 or more add replicas across AZs with automatic failover.',
  },
  {
    key: 'readReplicaCount',
    default: '0',
    description:
      'RDS read replicas (0-5). The web tier reads older gallery pages, searches and the JSON list from them (DB_READ_HOST); writes and status polling stay on the primary.',
  },
] as const satisfies readonly ConfigKey[];

export type ConfigKeyName = (typeof CONFIG_KEYS)[number]['key'];
/** Keys set with `pulumi config set --secret`: read as Pulumi secrets, never as plain text. */
export type SecretConfigKeyName = Extract<(typeof CONFIG_KEYS)[number], { readonly secret: true }>['key'];
export type PlainConfigKeyName = Exclude<ConfigKeyName, SecretConfigKeyName>;
