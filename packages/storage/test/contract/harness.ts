import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../../src/index.ts';

/** What the contract suites need from an adapter under test. */
export interface ContractHarness {
  readonly store: ObjectStore;
  /** What failed writes left behind: temp files, or multipart uploads neither completed nor aborted. */
  leftovers(): Promise<string[]>;
  /** The bytes a browser gets from a URL that urlFor returned. */
  fetchUrl(url: string): Promise<Uint8Array>;
  /** Leaves a write of `key` unfinished, as a process killed mid-put does. */
  abandonWrite(key: string): Promise<void>;
  /** Whether the adapter itself raises an object's event again (S3 does; a bare directory has none). */
  readonly renotifies: boolean;
  /** For S3: whether the put of `key` used a multipart upload. Undefined for adapters without parts. */
  usedMultipart?(key: string): boolean;
  close(): Promise<void>;
}

export type HarnessFactory = () => Promise<ContractHarness>;

/** A fresh key per test, so tests never see each other's objects. */
export function freshKey(name = 'object.bin'): string {
  return `uploads/${randomUUID().replaceAll('-', '').slice(0, 16)}/${name}`;
}
