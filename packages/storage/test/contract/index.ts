import { basicContract } from './basics.ts';
import type { HarnessFactory } from './harness.ts';
import { streamingContract } from './streaming.ts';
import { sweepContract } from './sweep.ts';

export type { ContractHarness, HarnessFactory } from './harness.ts';

/** The one ObjectStore contract suite; every adapter runs all of it. */
export function objectStoreContract(name: string, factory: HarnessFactory): void {
  basicContract(name, factory);
  streamingContract(name, factory);
  sweepContract(name, factory);
}
