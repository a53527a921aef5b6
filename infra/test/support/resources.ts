/** Queries over the resources a program run registered. */
import { ENV_FILE } from '../../src/user-data.ts';
import type { RecordedResource } from './mocks.ts';

export const T = {
  vpc: 'awsx:ec2:Vpc',
  image: 'awsx:ecr:Image',
  provider: 'pulumi:providers:aws',
  securityGroup: 'aws:ec2/securityGroup:SecurityGroup',
  ingress: 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  egress: 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule',
  bucket: 'aws:s3/bucket:Bucket',
  publicAccessBlock: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  versioning: 'aws:s3/bucketVersioning:BucketVersioning',
  encryption: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  lifecycle: 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  notification: 'aws:s3/bucketNotification:BucketNotification',
  rds: 'aws:rds/instance:Instance',
  dbSubnetGroup: 'aws:rds/subnetGroup:SubnetGroup',
  parameterGroup: 'aws:rds/parameterGroup:ParameterGroup',
  randomId: 'random:index/randomId:RandomId',
  rolePolicyAttachment: 'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
  invocation: 'aws:lambda/invocation:Invocation',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  repository: 'aws:ecr/repository:Repository',
  ecrLifecycle: 'aws:ecr/lifecyclePolicy:LifecyclePolicy',
  queue: 'aws:sqs/queue:Queue',
  queuePolicy: 'aws:sqs/queuePolicy:QueuePolicy',
  role: 'aws:iam/role:Role',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  instanceProfile: 'aws:iam/instanceProfile:InstanceProfile',
  lambda: 'aws:lambda/function:Function',
  invokeConfig: 'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig',
  permission: 'aws:lambda/permission:Permission',
  rule: 'aws:cloudwatch/eventRule:EventRule',
  target: 'aws:cloudwatch/eventTarget:EventTarget',
  alb: 'aws:lb/loadBalancer:LoadBalancer',
  targetGroup: 'aws:lb/targetGroup:TargetGroup',
  listener: 'aws:lb/listener:Listener',
  launchTemplate: 'aws:ec2/launchTemplate:LaunchTemplate',
  asg: 'aws:autoscaling/group:Group',
  scalingPolicy: 'aws:autoscaling/policy:Policy',
  topic: 'aws:sns/topic:Topic',
  subscription: 'aws:sns/topicSubscription:TopicSubscription',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  webAcl: 'aws:wafv2/webAcl:WebAcl',
  webAclAssociation: 'aws:wafv2/webAclAssociation:WebAclAssociation',
  oac: 'aws:cloudfront/originAccessControl:OriginAccessControl',
  distribution: 'aws:cloudfront/distribution:Distribution',
  secret: 'aws:secretsmanager/secret:Secret',
  secretVersion: 'aws:secretsmanager/secretVersion:SecretVersion',
  endpoint: 'aws:ec2/vpcEndpoint:VpcEndpoint',
  cachePolicy: 'aws:cloudfront/cachePolicy:CachePolicy',
  listenerRule: 'aws:lb/listenerRule:ListenerRule',
  cacheSubnetGroup: 'aws:elasticache/subnetGroup:SubnetGroup',
  replicationGroup: 'aws:elasticache/replicationGroup:ReplicationGroup',
} as const;

export function ofType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((r) => r.type === type);
}

/** The one resource of a type whose logical name ends with `suffix`. */
export function one(resources: readonly RecordedResource[], type: string, suffix = ''): RecordedResource {
  const found = ofType(resources, type).filter((r) => r.name.endsWith(suffix));
  if (found.length !== 1) {
    throw new Error(
      `expected one ${type} named *${suffix}, found ${found.length}: ${found.map((r) => r.name).join(', ')}`,
    );
  }
  return found[0]!;
}

export function byId(resources: readonly RecordedResource[], id: unknown): RecordedResource | undefined {
  return resources.find((r) => r.id === id);
}

/** The Pulumi secret wrapper the mocks see in inputs. */
export const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
export const SIG_KEY = '4dabf18193072939515e22adb298388d';

export function isSecretValue(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG
  );
}

/** Every string inside a value, with the path to it and whether it sits inside a secret. */
export function strings(
  value: unknown,
  path = '',
  secret = false,
): { path: string; value: string; secret: boolean }[] {
  if (typeof value === 'string') return [{ path, value, secret }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`, secret));
  if (typeof value === 'object' && value !== null) {
    const inner = isSecretValue(value);
    return Object.entries(value).flatMap(([k, v]) =>
      k === SIG_KEY ? [] : strings(v, inner ? path : `${path}.${k}`, secret || inner),
    );
  }
  return [];
}

export function decodeUserData(launchTemplate: RecordedResource): string {
  return Buffer.from(String(launchTemplate.inputs.userData), 'base64').toString('utf8');
}

/** The env file the web launch template's user data writes, as the container will see it. */
export function containerEnv(launchTemplate: RecordedResource): Record<string, string> {
  const userData = decodeUserData(launchTemplate);
  const body = userData.split(`cat > ${ENV_FILE} <<'ENV'\n`)[1]?.split('\nENV\n')[0] ?? '';
  return Object.fromEntries(
    body.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/**
 * The one inline policy of a role, parsed. Throws when the role has none or several (a second
 * policy's grants would go unchecked by tests that read one), or any managed policy.
 */
export function inlinePolicyOf(resources: readonly RecordedResource[], role: RecordedResource) {
  const policies = ofType(resources, T.rolePolicy).filter((p) => p.inputs.role === role.id);
  if (policies.length !== 1) {
    throw new Error(
      `role ${role.name} has ${policies.length} inline policies (${policies.map((p) => p.name)}), not 1`,
    );
  }
  if (role.inputs.managedPolicyArns !== undefined && role.inputs.managedPolicyArns.length > 0) {
    throw new Error(`role ${role.name} has managed policies: ${role.inputs.managedPolicyArns}`);
  }
  return JSON.parse(policies[0]!.inputs.policy);
}

/**
 * A property's value, whether or not the program marked it secret (a secret nested anywhere in a
 * property makes the whole property secret, e.g. the distribution's origins with their header).
 */
// biome-ignore lint/suspicious/noExplicitAny: provider-shaped inputs, read deeply by the tests
export function reveal(value: unknown): any {
  return isSecretValue(value) ? (value as { value: unknown }).value : value;
}
