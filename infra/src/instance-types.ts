/**
 * Which EC2 and RDS instance types a stack may ask for. An unknown type fails at config time with
 * a message, instead of half-way through `pulumi up` with an AWS API error.
 */

const SIZES = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge'];
const BURSTABLE_SIZES = ['micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'];

/** x86_64 families only: the AMI parameter and the web image are built for x86_64. */
const WEB_FAMILIES: Readonly<Record<string, readonly string[]>> = {
  t3: ['nano', ...BURSTABLE_SIZES],
  t3a: ['nano', ...BURSTABLE_SIZES],
  m5: SIZES,
  m6i: SIZES,
  m7i: SIZES,
  c5: SIZES,
  c6i: SIZES,
  c7i: SIZES,
  r6i: SIZES,
};

/** Classes that RDS offers for MySQL 8.0. */
const DB_FAMILIES: Readonly<Record<string, readonly string[]>> = {
  t3: BURSTABLE_SIZES,
  t4g: BURSTABLE_SIZES,
  m5: SIZES,
  m6g: SIZES,
  m6i: SIZES,
  m7g: SIZES,
  r5: SIZES,
  r6g: SIZES,
  r6i: SIZES,
  r7g: SIZES,
};

/** Returns undefined when the web tier can use the type, else why not. */
export function checkWebInstanceType(type: string): string | undefined {
  const [family = '', size = '', ...rest] = type.split('.');
  if (rest.length > 0 || !/^[a-z][a-z0-9-]*$/.test(family))
    return `"${type}" is not an EC2 instance type like t3.micro`;
  if (/^[a-z]+\d+[a-z]*g[a-z]*$/.test(family) && !(family in WEB_FAMILIES)) {
    return `"${type}" is an arm64 (Graviton) type; the AMI parameter and the web image are x86_64`;
  }
  const sizes = WEB_FAMILIES[family];
  if (!sizes)
    return `unknown instance family "${family}"; use one of ${Object.keys(WEB_FAMILIES).join(', ')}`;
  if (!sizes.includes(size)) return `unknown size "${size}" for ${family}; use one of ${sizes.join(', ')}`;
  return undefined;
}

/** Returns undefined when RDS MySQL offers the class, else why not. */
export function checkDbInstanceClass(instanceClass: string): string | undefined {
  const [db, family = '', size = '', ...rest] = instanceClass.split('.');
  if (db !== 'db' || rest.length > 0)
    return `"${instanceClass}" is not an RDS instance class like db.t3.micro`;
  const sizes = DB_FAMILIES[family];
  if (!sizes) {
    return `unknown instance class "${instanceClass}"; families: ${Object.keys(DB_FAMILIES)
      .map((f) => `db.${f}`)
      .join(', ')}`;
  }
  if (!sizes.includes(size))
    return `unknown instance class "${instanceClass}"; db.${family} sizes: ${sizes.join(', ')}`;
  return undefined;
}

/** vCPUs by size: the t3 burstable sizes, and the general pattern of the m/c/r families. */
const VCPUS: Readonly<Record<string, number>> = {
  nano: 2,
  micro: 2,
  small: 2,
  medium: 2,
  large: 2,
  xlarge: 4,
  '2xlarge': 8,
  '4xlarge': 16,
  '8xlarge': 32,
  '12xlarge': 48,
  '16xlarge': 64,
  '24xlarge': 96,
};

/** The vCPUs of a web instance type this module accepts (the web image runs one process per vCPU). */
export function webInstanceVcpus(type: string): number {
  return VCPUS[type.split('.')[1] ?? ''] ?? 2;
}

/** GiB of memory by size: burstable (t3, t4g), general purpose (m*), memory optimised (r*: twice m). */
const BURSTABLE_GIB: Readonly<Record<string, number>> = {
  micro: 1,
  small: 2,
  medium: 4,
  large: 8,
  xlarge: 16,
  '2xlarge': 32,
};
const GENERAL_GIB: Readonly<Record<string, number>> = {
  large: 8,
  xlarge: 16,
  '2xlarge': 32,
  '4xlarge': 64,
  '8xlarge': 128,
  '12xlarge': 192,
  '16xlarge': 256,
  '24xlarge': 384,
};

/** Memory of an RDS class this module accepts, in GiB. */
export function dbInstanceMemoryGib(instanceClass: string): number {
  const [, family = '', size = ''] = instanceClass.split('.');
  if (family.startsWith('t')) return BURSTABLE_GIB[size] ?? 1;
  const general = GENERAL_GIB[size] ?? 8;
  return family.startsWith('r') ? general * 2 : general;
}

/**
 * RDS MySQL's default max_connections is `{DBInstanceClassMemory/12582880}`, where
 * DBInstanceClassMemory is the class's memory less what the OS and RDS keep. That share is not
 * published; a quarter matches what db.t3.micro reports (about 60-66). An estimate: set
 * `dbMaxConnections` when the parameter group says otherwise.
 */
export function estimatedMaxConnections(instanceClass: string): number {
  const bytes = dbInstanceMemoryGib(instanceClass) * 1024 ** 3;
  return Math.floor((bytes * 0.75) / 12_582_880);
}
