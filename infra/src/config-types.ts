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
  readonly reservedConcurrency: number;
}

export interface NetworkSettings {
  readonly vpcCidr: string;
  readonly availabilityZoneCount: number;
  readonly publicSubnetCidrs: readonly string[];
  readonly privateSubnetCidrs: readonly string[];
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
  readonly engineVersion: string;
  readonly name: string;
  readonly username: string;
  readonly backupRetentionDays: number;
  readonly multiAz: boolean;
}

export interface StackConfig extends NameContext {
  readonly region: string;
  readonly owner: string;
  readonly production: boolean;
  /** The annotator's Gemini API key, a Pulumi secret from the moment it is read. */
  readonly geminiApiKey: pulumi.Output<string>;
  readonly network: NetworkSettings;
  readonly web: WebSettings;
  readonly database: DatabaseSettings;
  readonly annotator: WorkerSettings;
  readonly thumbnailer: WorkerSettings;
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
