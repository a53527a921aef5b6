/**
 * The stack's config, parsed and validated in one pure step before any resource exists. A bad or
 * missing value (the Gemini secret included) fails `pulumi preview` with every problem listed and
 * the key named; the components take what this returns and need not check it again.
 */
import { annotatorBudgetProblem } from './annotator-budget.ts';
import { checkAppEnvName } from './app-env.ts';
import { ConfigReader, type ConfigSource, StackConfigError } from './config-reader.ts';
import { readDatabase, readNetwork, readWeb } from './config-sections.ts';
import type { StackConfig, WorkerSettings } from './config-types.ts';
import { checkBudget } from './connection-budget.ts';
import { webInstanceVcpus } from './instance-types.ts';
import type { NameContext } from './naming.ts';
import { checkEnvFileValue } from './user-data.ts';

export { type ConfigSource, StackConfigError } from './config-reader.ts';

/** Values CloudWatch Logs accepts for retentionInDays. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/**
 * The annotator Lambda's memory when `annotatorMemoryMb` is unset: Gemini is a network call; the
 * local vision image peaked at 1181 MiB RSS over the fixtures (`pnpm bench:coldstart`), and Lambda
 * gives CPU in proportion to memory.
 */
export const ANNOTATOR_MEMORY_MB = { gemini: 512, local: 2048 } as const;

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

export interface ParseContext extends NameContext {
  /** The `aws:region` config value. */
  readonly region: string | undefined;
}

/** Reads and validates the whole stack config; throws StackConfigError naming each bad key. */
export function parseStackConfig(source: ConfigSource, context: ParseContext): StackConfig {
  const r = new ConfigReader(source, context.project);
  const region = context.region ?? '';
  if (!REGION.test(region)) {
    r.problems.push({
      key: 'aws:region',
      message: `is required and must be a region like us-east-1 (got ${JSON.stringify(context.region)})`,
    });
  }

  const network = readNetwork(r);
  const web = readWeb(r);
  const database = readDatabase(r);
  const annotatorChoice = r.oneOf('annotator', ['gemini', 'local']);
  const worker = (prefix: 'annotator' | 'thumbnailer', defaultMemoryMb?: number): WorkerSettings => ({
    memoryMb: r.optionalInt(`${prefix}MemoryMb`, 128, 10240) ?? defaultMemoryMb ?? 128,
    timeoutSeconds: r.int(`${prefix}TimeoutSeconds`, 1, 900),
    // 0 would stop the function from ever running; unset reserves nothing.
    reservedConcurrency: r.optionalInt(`${prefix}ReservedConcurrency`, 1, 1000),
  });
  const annotator = worker('annotator', ANNOTATOR_MEMORY_MB[annotatorChoice]);
  const thumbnailer = worker('thumbnailer');
  const pools = { web: r.int('webDbPoolSize', 1, 100), worker: r.int('workerDbPoolSize', 1, 20) };

  const logRetentionDays = r.int('logRetentionDays', 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    r.fail('logRetentionDays', `must be one of ${LOG_RETENTION_DAYS.join(', ')} (got ${logRetentionDays})`);
  }

  const certificateArn = r.optionalString(
    'certificateArn',
    /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/,
    'must be an ACM certificate ARN',
  );
  const certRegion = certificateArn?.split(':')[3];
  if (certRegion && REGION.test(region) && certRegion !== region) {
    r.fail(
      'certificateArn',
      `the certificate is in ${certRegion} but the ALB is in ${region}; use a certificate from ${region}`,
    );
  }

  const appEnv = r.stringMap('appEnv');
  for (const [name, value] of Object.entries(appEnv)) {
    // The web tier writes these into its user data, so a value must be safe there too.
    const problem = checkAppEnvName(name) ?? checkEnvFileValue(value);
    if (problem) r.fail(`appEnv.${name}`, problem);
  }

  // The Gemini attempts must fit the annotator's timeout; the local annotator makes none.
  if (annotatorChoice === 'gemini') {
    const attemptsProblem = annotatorBudgetProblem(annotator.timeoutSeconds, appEnv);
    if (attemptsProblem) r.fail('annotatorTimeoutSeconds', attemptsProblem);
  }

  const cloudFront = r.bool('enableCloudFront');
  const albDomainName = r.optionalString(
    'albDomainName',
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'must be a lower-case DNS name',
  );
  if (cloudFront && certificateArn && !albDomainName) {
    r.fail(
      'albDomainName',
      'is required with enableCloudFront and certificateArn: the name in the certificate that points at the ALB, for CloudFront to reach it over HTTPS',
    );
  }
  // Without a certificate CloudFront reaches the ALB over plain HTTP across the internet, carrying
  // the origin-verify secret, uploader cookies and the operator's token: a dev stack may, a
  // production one may not.
  if (cloudFront && !certificateArn && r.bool('production')) {
    r.fail(
      'certificateArn',
      'is required with enableCloudFront in production: without it CloudFront reaches the ALB over plain HTTP, with the uploader cookies and the operator token',
    );
  }
  if (albDomainName && !(cloudFront && certificateArn)) {
    r.fail('albDomainName', 'is only used with enableCloudFront and certificateArn; remove it');
  }
  const cache = r.bool('enableCache')
    ? {
        nodeType: r.string(
          'cacheNodeType',
          /^cache\.[a-z0-9]+\.[a-z0-9]+$/,
          'must be a node type like cache.t4g.micro',
        ),
        nodeCount: r.int('cacheNodeCount', 1, 6),
      }
    : undefined;

  // With the local annotator there is no key to read, so none is required.
  const geminiApiKey = annotatorChoice === 'gemini' ? r.secret('geminiApiKey') : undefined;

  const webWorkers = Number(appEnv.WEB_WORKERS ?? '0');
  const budgetProblem = checkBudget({
    webProcessesPerInstance: webWorkers > 0 ? webWorkers : webInstanceVcpus(web.instanceType),
    webPoolSize: pools.web,
    asgMaxSize: web.maxSize,
    workerPoolSize: pools.worker,
    reservedConcurrency: [annotator.reservedConcurrency, thumbnailer.reservedConcurrency],
    unreservedConcurrency: r.int('unreservedLambdaConcurrency', 1, 100_000),
    maxConnections: database.maxConnections,
  });
  if (budgetProblem) r.fail('webDbPoolSize', budgetProblem);

  const settings: StackConfig = {
    project: context.project,
    stack: context.stack,
    region,
    owner: r.string('owner', /^[\w .@+=:/-]{1,128}$/, 'must be 1-128 characters valid in an AWS tag value'),
    production: r.bool('production'),
    network,
    web,
    database,
    annotatorChoice,
    geminiApiKey,
    annotator,
    thumbnailer,
    pools,
    migrationTimeoutSeconds: r.int('migrationTimeoutSeconds', 10, 900),
    eventRetry: {
      attempts: r.int('eventRetryAttempts', 0, 185),
      maxAgeSeconds: r.int('eventMaxAgeSeconds', 60, 86400),
    },
    lambdaRetry: {
      attempts: r.int('lambdaRetryAttempts', 0, 2),
      maxAgeSeconds: r.int('lambdaMaxEventAgeSeconds', 60, 21600),
    },
    dlqRetentionDays: r.int('dlqRetentionDays', 1, 14),
    noncurrentVersionDays: r.int('noncurrentVersionDays', 1, 3650),
    appEnv,
    logRetentionDays,
    alarmEmail: r.optionalString('alarmEmail', /^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an email address'),
    certificateArn,
    waf: r.bool('enableWaf') ? { rateLimit: r.int('wafRateLimit', 10, 2_000_000_000) } : undefined,
    cloudFront,
    albDomainName,
    cache,
    readReplicaCount: r.int('readReplicaCount', 0, 5),
  };
  // A missing secret is one of the problems, so every problem is reported together.
  if (r.problems.length > 0) throw new StackConfigError(r.problems);
  return settings;
}
