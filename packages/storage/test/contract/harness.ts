import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../../src/index.ts';

/** What the contract suites need from an adapter under test. */
export interface ContractHarness {
  readonly store: ObjectStore;
  /** What failed writes left behind: temp files, or multipart uploads neither completed nor aborted. */
  leftovers(): Promise<string[]>;
  /** The bytes a browser gets from a URL that urlFor returned. */
  fetchUrl(url: string): Promise<Uint8Array>;
  /** For S3: whether the put of `key` used a multipart upload. Undefined for adapters without parts. */
  usedMultipart?(key: string): boolean;
  close(): Promise<void>;
}

export type HarnessFactory = () => Promise<ContractHarness>;

/** A fresh key per test, so tests never see each other's objects. */
export function freshKey(name = 'object.bin'): string {
  return `uploads/${randomUUID().replaceAll('-', '').slice(0, 16)}/${name}`;
}
