/**
 * The shape of a parsed stack config. The parser (config.ts), its sections (config-sections.ts) and
 * the components that take a section all import these types from here, so none of them imports another
 * just for a type.
 */
import type * as pulumi from '@pulumi/pulumi';
import type { NameContext } from './naming.ts';

/** How often, and for how long, a failed delivery is retried. */
export interface RetrySettings {
  readonly attempts: number;
  readonly maxAgeSeconds: number;
}

export interface WorkerSettings {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Unset: no reservation (the function draws on the account's unreserved concurrency). */
  readonly reservedConcurrency: number | undefined;
}

/** Which annotator the annotator Lambda runs (`annotator` in the stack config). */
export type AnnotatorChoice = 'gemini' | 'local';

/** MySQL connections per process (DB_POOL_SIZE) of each workload. */
export interface PoolSettings {
  readonly web: number;
  readonly worker: number;
}

export interface NetworkSettings {
  readonly vpcCidr: string;
  readonly availabilityZoneCount: number;
  readonly publicSubnetCidrs: readonly string[];
  readonly privateSubnetCidrs: readonly string[];
  /** One NAT gateway per AZ instead of one for the VPC. */
  readonly natGatewayPerAz: boolean;
  /** Interface endpoints for the AWS APIs the workloads call (Secrets Manager, ECR, Logs, STS, SSM). */
  readonly interfaceEndpoints: boolean;
}

export interface WebSettings {
  readonly instanceType: string;
  readonly amiParameter: string;
  readonly rootVolumeGb: number;
  readonly minSize: number;
  readonly maxSize: number;
  readonly desiredCapacity: number;
  readonly healthCheckGraceSeconds: number;
  readonly cpuTargetPercent: number;
}

export interface DatabaseSettings {
  readonly instanceClass: string;
  readonly allocatedStorageGb: number;
  /** Storage autoscaling ceiling. */
  readonly maxAllocatedStorageGb: number;
  readonly engineVersion: string;
  /** The parameter group family of the engine version: `mysql8.0` or `mysql8.4`. */
  readonly parameterGroupFamily: 'mysql8.0' | 'mysql8.4';
  readonly engineLifecycleSupport: string;
  /** long_query_time of the slow query log. */
  readonly slowQuerySeconds: number;
  /** max_connections, given or estimated from the class. */
  readonly maxConnections: number;
  readonly name: string;
  readonly username: string;
  readonly backupRetentionDays: number;
  readonly multiAz: boolean;
}

export interface StackConfig extends NameContext {
  readonly region: string;
  readonly owner: string;
  readonly production: boolean;
  readonly annotatorChoice: AnnotatorChoice;
  /**
   * The annotator's Gemini API key, a Pulumi secret from the moment it is read; present exactly
   * when `annotatorChoice` is gemini.
   */
  readonly geminiApiKey: pulumi.Output<string> | undefined;
  readonly network: NetworkSettings;
  readonly web: WebSettings;
  readonly database: DatabaseSettings;
  readonly annotator: WorkerSettings;
  readonly thumbnailer: WorkerSettings;
  readonly pools: PoolSettings;
  /** The migration function's timeout. */
  readonly migrationTimeoutSeconds: number;
  /** EventBridge target delivery. */
  readonly eventRetry: RetrySettings;
  /** Lambda asynchronous invocation. */
  readonly lambdaRetry: RetrySettings;
  readonly dlqRetentionDays: number;
  readonly noncurrentVersionDays: number;
  readonly appEnv: Readonly<Record<string, string>>;
  readonly logRetentionDays: number;
  readonly alarmEmail: string | undefined;
  readonly certificateArn: string | undefined;
  readonly waf: { readonly rateLimit: number } | undefined;
  readonly cloudFront: boolean;
  /** With cloudFront and a certificate: the ALB's name in the certificate (CloudFront's HTTPS origin). */
  readonly albDomainName: string | undefined;
  /** The shared cache (enableCache), or undefined. */
  readonly cache: { readonly nodeType: string; readonly nodeCount: number } | undefined;
  readonly readReplicaCount: number;
}
