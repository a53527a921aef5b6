import type { Policies } from '@pulumi/policy';
import { bucketsBlockPublicAccess, bucketsEncrypted, bucketsTlsOnly } from './buckets.ts';
import { imdsV2Required, rdsEncryptedAndPrivate } from './compute.ts';
import { eventTargetsRetryAndDeadLetter, lambdaPermissionsScoped, putEventsScoped } from './events.ts';
import { instancesReachableBySsm, rdsTlsOnly } from './hardening.ts';
import { lambdaLogGroupsManaged, logRetentionSet } from './logs.ts';
import { noOpenIngress } from './network.ts';
import { cacheEncryptedAndAuthenticated, cloudFrontViewersHttps } from './options.ts';
import { lambdaNoPlaintextSecrets } from './secrets.ts';

export * from './buckets.ts';
export * from './compute.ts';
export * from './events.ts';
export * from './hardening.ts';
export * from './logs.ts';
export * from './network.ts';
export * from './options.ts';
export * from './secrets.ts';

/** Every rule of the pack, in the order `pulumi preview` reports them. */
export const POLICIES: Policies = [
  bucketsBlockPublicAccess,
  bucketsEncrypted,
  bucketsTlsOnly,
  rdsEncryptedAndPrivate,
  rdsTlsOnly,
  noOpenIngress,
  imdsV2Required,
  instancesReachableBySsm,
  lambdaNoPlaintextSecrets,
  logRetentionSet,
  lambdaLogGroupsManaged,
  eventTargetsRetryAndDeadLetter,
  lambdaPermissionsScoped,
  putEventsScoped,
  cacheEncryptedAndAuthenticated,
  cloudFrontViewersHttps,
];
