/** The network, web tier and database sections of the stack config, read and cross-checked. */
import { type Cidr, cidrContains, cidrsOverlap, parseCidr } from './cidr.ts';
import type { ConfigReader } from './config-reader.ts';
import type { DatabaseSettings, NetworkSettings, WebSettings } from './config-types.ts';
import { checkDbInstanceClass, checkWebInstanceType, estimatedMaxConnections } from './instance-types.ts';

export function readNetwork(r: ConfigReader): NetworkSettings {
  const vpcCidr = r.string('vpcCidr');
  const availabilityZoneCount = r.int('availabilityZoneCount', 2, 6);
  const publicSubnetCidrs = r.stringList('publicSubnetCidrs');
  const privateSubnetCidrs = r.stringList('privateSubnetCidrs');

  let vpc: Cidr | undefined;
  try {
    vpc = parseCidr(vpcCidr);
    if (vpc.prefix < 16 || vpc.prefix > 28)
      r.fail('vpcCidr', `AWS allows a VPC between /16 and /28 (got /${vpc.prefix})`);
  } catch (error) {
    r.fail('vpcCidr', (error as Error).message);
  }

  const seen: { key: string; cidr: Cidr }[] = [];
  for (const [key, list] of [
    ['publicSubnetCidrs', publicSubnetCidrs],
    ['privateSubnetCidrs', privateSubnetCidrs],
  ] as const) {
    if (list.length !== availabilityZoneCount) {
      r.fail(key, `needs one CIDR per availability zone: ${availabilityZoneCount} (got ${list.length})`);
    }
    for (const text of list) {
      let cidr: Cidr;
      try {
        cidr = parseCidr(text);
      } catch (error) {
        r.fail(key, (error as Error).message);
        continue;
      }
      if (vpc && !cidrContains(vpc, cidr)) r.fail(key, `${cidr.text} is outside the VPC ${vpc.text}`);
      if (cidr.prefix > 28) r.fail(key, `${cidr.text} is smaller than /28, the smallest subnet AWS allows`);
      const clash = seen.find((s) => cidrsOverlap(s.cidr, cidr));
      if (clash) r.fail(key, `${cidr.text} overlaps ${clash.cidr.text} (${clash.key})`);
      seen.push({ key, cidr });
    }
  }
  return {
    vpcCidr,
    availabilityZoneCount,
    publicSubnetCidrs,
    privateSubnetCidrs,
    natGatewayPerAz: r.bool('natGatewayPerAz'),
    interfaceEndpoints: r.bool('enableInterfaceEndpoints'),
  };
}

export function readWeb(r: ConfigReader): WebSettings {
  const instanceType = r.string('webInstanceType');
  const typeProblem = checkWebInstanceType(instanceType);
  if (typeProblem) r.fail('webInstanceType', typeProblem);
  const minSize = r.int('asgMinSize', 0, 100);
  const maxSize = r.int('asgMaxSize', 1, 100);
  const desiredCapacity = r.int('asgDesiredCapacity', 0, 100);
  if (maxSize < minSize) r.fail('asgMaxSize', `must be at least asgMinSize (${minSize}), got ${maxSize}`);
  if (desiredCapacity < minSize || desiredCapacity > maxSize) {
    r.fail(
      'asgDesiredCapacity',
      `must be between asgMinSize (${minSize}) and asgMaxSize (${maxSize}), got ${desiredCapacity}`,
    );
  }
  return {
    instanceType,
    amiParameter: r.string(
      'webAmiParameter',
      /^\/[\w./-]+$/,
      'must be an SSM parameter path like /aws/service/...',
    ),
    rootVolumeGb: r.int('webRootVolumeGb', 8, 1024),
    minSize,
    maxSize,
    desiredCapacity,
    healthCheckGraceSeconds: r.int('asgHealthCheckGraceSeconds', 0, 7200),
    cpuTargetPercent: r.int('asgCpuTargetPercent', 1, 100),
  };
}

export function readDatabase(r: ConfigReader): DatabaseSettings {
  const instanceClass = r.string('dbInstanceClass');
  const classProblem = checkDbInstanceClass(instanceClass);
  if (classProblem) r.fail('dbInstanceClass', classProblem);
  const username = r.string(
    'dbUsername',
    /^[A-Za-z][A-Za-z0-9_]{0,15}$/,
    'must be 1-16 letters, digits or _, starting with a letter',
  );
  if (['root', 'rdsadmin', 'admin_rds'].includes(username.toLowerCase())) {
    r.fail('dbUsername', `"${username}" is reserved by RDS MySQL`);
  }
  const allocatedStorageGb = r.int('dbAllocatedStorageGb', 20, 16384);
  const maxAllocatedStorageGb = r.int('dbMaxAllocatedStorageGb', 20, 65536);
  if (maxAllocatedStorageGb < allocatedStorageGb) {
    r.fail(
      'dbMaxAllocatedStorageGb',
      `must be at least dbAllocatedStorageGb (${allocatedStorageGb}), got ${maxAllocatedStorageGb}`,
    );
  }
  const engineVersion = r.string(
    'dbEngineVersion',
    /^8\.[04](\.\d+)?$/,
    'must be MySQL 8.4 or 8.0, or a minor version of either (8.4.x, 8.0.x)',
  );
  return {
    instanceClass,
    allocatedStorageGb,
    maxAllocatedStorageGb,
    engineVersion,
    parameterGroupFamily: engineVersion.startsWith('8.0') ? 'mysql8.0' : 'mysql8.4',
    engineLifecycleSupport: r.oneOf('dbEngineLifecycleSupport', [
      'open-source-rds-extended-support-disabled',
      'open-source-rds-extended-support',
    ]),
    slowQuerySeconds: r.decimal('dbSlowQuerySeconds', 0.1, 60),
    maxConnections: r.optionalInt('dbMaxConnections', 10, 100_000) ?? estimatedMaxConnections(instanceClass),
    name: r.string('dbName', /^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a MySQL database name'),
    username,
    // 0 would turn automated backups off.
    backupRetentionDays: r.int('dbBackupRetentionDays', 1, 35),
    multiAz: r.bool('dbMultiAz'),
  };
}
