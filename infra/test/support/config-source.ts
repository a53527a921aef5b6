/** A stack config read from plain values the way `pulumi.Config` reads a stack file. */
import * as pulumi from '@pulumi/pulumi';
import type { ConfigSource } from '../../src/config.ts';

/** Values by key (without the namespace); a secret key comes back as a Pulumi secret. */
export function configSource(values: Readonly<Record<string, string | undefined>>): ConfigSource {
  return {
    get: (key) => values[key],
    getSecret: (key) => {
      const value = values[key];
      return value === undefined ? undefined : pulumi.secret(value);
    },
  };
}
