/**
 * Typed reads of raw stack config values (the strings Pulumi stores; lists and maps arrive as JSON
 * text). Problems are collected, not thrown one by one, so a bad stack config is reported whole.
 */
import type * as pulumi from '@pulumi/pulumi';
import {
  CONFIG_KEYS,
  type ConfigKeyName,
  type PlainConfigKeyName,
  type SecretConfigKeyName,
} from './config-keys.ts';

/** Where the values of this project's namespace come from; a `pulumi.Config` is one. */
export interface ConfigSource {
  /** The raw string stored for a key, or undefined. */
  get(key: string): string | undefined;
  /** A secret key's value, still a Pulumi secret, or undefined when the key is not set. */
  getSecret(key: string): pulumi.Output<string> | undefined;
}

export interface ConfigProblem {
  /** The fully qualified key, e.g. `image-annotation-platform:asgMaxSize`. */
  readonly key: string;
  readonly message: string;
}

/** A stack config that cannot be deployed. The message names every bad key. */
export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(`Invalid stack config:\n${problems.map((p) => `  - ${p.key}: ${p.message}`).join('\n')}`);
    this.problems = problems;
  }
}

const DEFAULTS = new Map<string, string | undefined>(CONFIG_KEYS.map((k) => [k.key, k.default]));

export class ConfigReader {
  readonly problems: ConfigProblem[] = [];
  readonly #source: ConfigSource;
  readonly #namespace: string;

  constructor(source: ConfigSource, namespace: string) {
    this.#source = source;
    this.#namespace = namespace;
  }

  fail(key: ConfigKeyName | string, message: string): void {
    this.problems.push({ key: `${this.#namespace}:${key}`, message });
  }

  /** The raw value, or the key's default; undefined when neither exists. */
  raw(key: PlainConfigKeyName): string | undefined {
    if (!DEFAULTS.has(key)) throw new Error(`config key "${key}" is not declared in CONFIG_KEYS`);
    const value = this.#source.get(key);
    return value === undefined || value.trim() === '' ? DEFAULTS.get(key) : value.trim();
  }

  optionalString(key: PlainConfigKeyName, pattern?: RegExp, hint?: string): string | undefined {
    const value = this.raw(key);
    if (value !== undefined && pattern && !pattern.test(value)) {
      this.fail(key, `${hint ?? `must match ${pattern}`} (got ${JSON.stringify(value)})`);
    }
    return value;
  }

  string(key: PlainConfigKeyName, pattern?: RegExp, hint?: string): string {
    const value = this.optionalString(key, pattern, hint);
    if (value === undefined) {
      this.fail(key, 'is required (pulumi config set ' + key + ' <value>)');
      return '';
    }
    return value;
  }

  int(key: PlainConfigKeyName, min: number, max: number): number {
    const value = this.raw(key);
    if (value === undefined || !/^-?\d+$/.test(value)) {
      this.fail(key, `must be a whole number between ${min} and ${max} (got ${JSON.stringify(value)})`);
      return min;
    }
    const n = Number(value);
    if (n < min || n > max) this.fail(key, `must be between ${min} and ${max} (got ${n})`);
    return n;
  }

  /** A whole number, or undefined when the key is unset and has no default. */
  optionalInt(key: PlainConfigKeyName, min: number, max: number): number | undefined {
    return this.raw(key) === undefined ? undefined : this.int(key, min, max);
  }

  /** A decimal number such as 0.5. */
  decimal(key: PlainConfigKeyName, min: number, max: number): number {
    const value = this.raw(key);
    if (value === undefined || !/^\d+(\.\d+)?$/.test(value)) {
      this.fail(key, `must be a number between ${min} and ${max} (got ${JSON.stringify(value)})`);
      return min;
    }
    const n = Number(value);
    if (n < min || n > max) this.fail(key, `must be between ${min} and ${max} (got ${n})`);
    return n;
  }

  /** One of a fixed set of words. */
  oneOf<const T extends string>(key: PlainConfigKeyName, choices: readonly T[]): T {
    const value = this.raw(key);
    if (value === undefined || !(choices as readonly string[]).includes(value)) {
      this.fail(key, `must be one of ${choices.join(', ')} (got ${JSON.stringify(value)})`);
      return choices[0] as T;
    }
    return value as T;
  }

  bool(key: PlainConfigKeyName): boolean {
    const value = this.raw(key)?.toLowerCase();
    if (value !== 'true' && value !== 'false') {
      this.fail(key, `must be true or false (got ${JSON.stringify(value)})`);
      return false;
    }
    return value === 'true';
  }

  stringList(key: PlainConfigKeyName): string[] {
    const parsed = this.#json(key);
    if (!Array.isArray(parsed) || parsed.some((v) => typeof v !== 'string')) {
      this.fail(key, 'must be a list of strings, e.g. ["a","b"]');
      return [];
    }
    return parsed as string[];
  }

  stringMap(key: PlainConfigKeyName): Record<string, string> {
    const parsed = this.#json(key);
    const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    if (!isObject || Object.values(parsed).some((v) => typeof v !== 'string')) {
      this.fail(key, 'must be a map of strings to strings, e.g. {"NAME":"value"}');
      return {};
    }
    return parsed as Record<string, string>;
  }

  /** A secret's value, never read as text here, so no message can show it. */
  secret(key: SecretConfigKeyName): pulumi.Output<string> | undefined {
    const value = this.#source.getSecret(key);
    if (value === undefined) this.fail(key, `is required (pulumi config set --secret ${key} <value>)`);
    return value;
  }

  #json(key: PlainConfigKeyName): unknown {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value);
    } catch {
      return undefined;
    }
  }
}
