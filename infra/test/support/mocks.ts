/**
 * Pulumi mocks for running the real program offline. Each resource type the program may create is
 * listed here with the outputs AWS (or the awsx provider, for its remote components) would return.
 * Any other type, and any provider function call, throws: a new dependency cannot slip in unseen.
 */
import { createHash } from 'node:crypto';
import type * as pulumi from '@pulumi/pulumi';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';

type State = Record<string, unknown>;
// Tests read provider-shaped inputs deeply (e.g. `inputs.healthCheck.path`); typing every shape adds nothing.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Inputs = Record<string, any>;

const hash = (value: string) => createHash('sha256').update(value).digest('hex');

/** Resource types the program is allowed to create, with any outputs beyond the generic ones. */
const OUTPUTS: Readonly<Record<string, (name: string, inputs: Inputs) => State>> = {
  'pulumi:providers:aws': () => ({}),
  'awsx:ec2:Vpc': (_name, inputs) => {
    const specs = (inputs.subnetSpecs ?? []) as { type: string; cidrBlocks: string[] }[];
    const ids = (type: string) =>
      specs
        .filter((s) => s.type === type)
        .flatMap((s) => s.cidrBlocks.map((_, i) => `subnet-${type.toLowerCase()}-${i + 1}`));
    return {
      vpcId: 'vpc-0mock',
      publicSubnetIds: ids('Public'),
      privateSubnetIds: ids('Private'),
      // awsx returns RouteTable resources; the program only reads their ids.
      routeTables: [...ids('Public'), ...ids('Private')].map((subnet) => ({
        id: subnet.replace('subnet-', 'rtb-'),
      })),
    };
  },
  'awsx:ecr:Image': (name, inputs) => ({ imageUri: `${inputs.repositoryUrl}@sha256:${hash(name)}` }),
  'aws:ec2/vpcEndpoint:VpcEndpoint': () => ({}),
  'aws:ec2/securityGroup:SecurityGroup': () => ({}),
  'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule': () => ({}),
  'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule': () => ({}),
  'aws:secretsmanager/secret:Secret': (name) => ({
    arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`,
  }),
  'aws:secretsmanager/secretVersion:SecretVersion': () => ({}),
  'aws:s3/bucket:Bucket': (name) => {
    const bucket = `${name}-${hash(name).slice(0, 7)}`;
    return {
      bucket,
      arn: `arn:aws:s3:::${bucket}`,
      bucketRegionalDomainName: `${bucket}.s3.${REGION}.amazonaws.com`,
    };
  },
  'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock': () => ({}),
  'aws:s3/bucketOwnershipControls:BucketOwnershipControls': () => ({}),
  'aws:s3/bucketVersioning:BucketVersioning': () => ({}),
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration': () => ({}),
  'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration': () => ({}),
  'aws:s3/bucketPolicy:BucketPolicy': () => ({}),
  'aws:s3/bucketNotification:BucketNotification': () => ({}),
  'aws:rds/subnetGroup:SubnetGroup': () => ({}),
  'aws:rds/parameterGroup:ParameterGroup': () => ({}),
  'random:index/randomId:RandomId': () => ({ hex: '0a1b2c3d' }),
  'aws:iam/rolePolicyAttachment:RolePolicyAttachment': () => ({}),
  'aws:lambda/invocation:Invocation': () => ({ result: '{"applied":[],"current":1,"schema":null}' }),
  'aws:rds/instance:Instance': (name, inputs) => ({
    // A read replica is autonamed: Pulumi would add a random suffix to the logical name.
    address: `${inputs.identifier ?? `${name}-mock`}.c0mock.${REGION}.rds.amazonaws.com`,
    port: 3306,
    masterUserSecrets: [
      { secretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-mock`, secretStatus: 'active' },
    ],
  }),
  'aws:cloudwatch/logGroup:LogGroup': (_name, inputs) => ({
    arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${inputs.name}`,
  }),
  'aws:ecr/repository:Repository': (_name, inputs) => ({
    repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${inputs.name}`,
  }),
  'aws:ecr/lifecyclePolicy:LifecyclePolicy': () => ({}),
  'aws:sqs/queue:Queue': (name) => ({ url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}-mock` }),
  'aws:sqs/queuePolicy:QueuePolicy': () => ({}),
  'aws:iam/role:Role': () => ({}),
  'aws:iam/rolePolicy:RolePolicy': () => ({}),
  'aws:iam/instanceProfile:InstanceProfile': () => ({}),
  'aws:lambda/function:Function': () => ({}),
  'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig': () => ({}),
  'aws:lambda/permission:Permission': () => ({}),
  'aws:cloudwatch/eventRule:EventRule': () => ({}),
  'aws:cloudwatch/eventTarget:EventTarget': () => ({}),
  // Autonamed: AWS gets the logical name and a random suffix.
  'aws:lb/loadBalancer:LoadBalancer': (name) => ({
    dnsName: `${name}-1234567-1234567890.${REGION}.elb.amazonaws.com`,
    arnSuffix: `app/${name}-1234567/50dc6c495c0c9188`,
  }),
  'aws:lb/targetGroup:TargetGroup': (name) => ({
    arnSuffix: `targetgroup/${name}-1234567/73e2d6bc24d8a067`,
  }),
  'aws:lb/listener:Listener': () => ({}),
  'aws:ec2/launchTemplate:LaunchTemplate': () => ({ latestVersion: 1 }),
  'aws:autoscaling/group:Group': () => ({}),
  'aws:autoscaling/policy:Policy': () => ({}),
  'aws:sns/topic:Topic': () => ({}),
  'aws:sns/topicSubscription:TopicSubscription': () => ({}),
  'aws:cloudwatch/metricAlarm:MetricAlarm': () => ({}),
  'aws:wafv2/webAcl:WebAcl': () => ({}),
  'aws:wafv2/webAclAssociation:WebAclAssociation': () => ({}),
  'aws:cloudfront/originAccessControl:OriginAccessControl': () => ({}),
  'aws:cloudfront/cachePolicy:CachePolicy': () => ({}),
  'aws:lb/listenerRule:ListenerRule': () => ({}),
  'aws:elasticache/subnetGroup:SubnetGroup': () => ({}),
  'aws:elasticache/replicationGroup:ReplicationGroup': (name) => ({
    primaryEndpointAddress: `master.${name}-mock.abc123.euw1.cache.amazonaws.com`,
  }),
  'aws:cloudfront/distribution:Distribution': () => ({
    domainName: 'd111111abcdef8.cloudfront.net',
    arn: `arn:aws:cloudfront::${ACCOUNT}:distribution/EDFDVBD6EXAMPLE`,
  }),
};

/** Provider functions the program may call, with what AWS would answer. */
const CALLS: Readonly<Record<string, (inputs: Inputs) => State>> = {
  'aws:cloudwatch/getEventBus:getEventBus': (inputs) => ({
    id: inputs.name,
    name: inputs.name,
    arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${inputs.name}`,
  }),
  'aws:ec2/getManagedPrefixList:getManagedPrefixList': (inputs) => ({
    id: 'pl-3b927c52',
    name: inputs.name,
  }),
  // Deterministic here (the inventory snapshot masks secrets anyway); AWS draws a new one per call.
  'aws:secretsmanager/getRandomPassword:getRandomPassword': (inputs) => ({
    id: 'random',
    randomPassword: `generated${'x'.repeat(Number(inputs.passwordLength ?? 32) - 9)}`,
  }),
};

/** Component resources of this program; they have no outputs of their own. */
const COMPONENTS = /^annot:infra:[A-Z][A-Za-z]+$/;

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly id: string;
  readonly inputs: Inputs;
  readonly state: State;
  /** `<provider urn>::<provider id>` for custom resources. */
  readonly provider: string | undefined;
  /** The resource options the engine was sent (program.ts records them from the monitor). */
  readonly options: RecordedOptions;
}

/** The resource options a test can check: the mocks' own arguments leave them out. */
export interface RecordedOptions {
  readonly protect: boolean;
  readonly deleteBeforeReplace: boolean;
  /** URNs of the resources this one waits for. */
  readonly dependsOn: readonly string[];
}

const NO_OPTIONS: RecordedOptions = { protect: false, deleteBeforeReplace: false, dependsOn: [] };

/** Options by `<type>::<name>`, filled by the monitor hook just before `newResource` runs. */
export const optionsByResource = new Map<string, RecordedOptions>();

export function createMocks(recorded: RecordedResource[], unexpected: string[]): pulumi.runtime.Mocks {
  return {
    newResource(args) {
      const outputs = OUTPUTS[args.type];
      if (!outputs && !COMPONENTS.test(args.type)) {
        unexpected.push(`resource type ${args.type} (${args.name})`);
        throw new Error(`unexpected resource type ${args.type}: add it to the mocks' allow-list on purpose`);
      }
      const extra = outputs?.(args.name, args.inputs) ?? {};
      const name = (args.inputs.name as string | undefined) ?? `${args.name}-mock`;
      const service = args.type.split(':')[1]?.split('/')[0] ?? 'unknown';
      const state: State = {
        ...args.inputs,
        name,
        arn: `arn:aws:${service}:${REGION}:${ACCOUNT}:${service}/${name}`,
        ...extra,
      };
      // S3 bucket IDs are the bucket names; every other ID is opaque.
      const id = args.type === 'aws:s3/bucket:Bucket' ? String(extra.bucket) : `${args.name}-id`;
      recorded.push({
        type: args.type,
        name: args.name,
        custom: args.custom ?? false,
        id,
        inputs: args.inputs,
        state,
        provider: args.provider,
        options: optionsByResource.get(`${args.type}::${args.name}`) ?? NO_OPTIONS,
      });
      return { id, state };
    },
    call(args) {
      const answer = CALLS[args.token];
      if (answer) return answer(args.inputs);
      unexpected.push(`call ${args.token}`);
      throw new Error(`unexpected provider function call ${args.token}: add it to the mocks on purpose`);
    },
  };
}
