/**
 * Typed reads of raw stack config values (the strings Pulumi stores; lists and maps arrive as JSON
 * text). Problems are collected, not thrown one by one, so a bad stack config is reported whole.
 */
import { CONFIG_KEYS, type ConfigKeyName } from './config-keys.ts';

/** Returns the raw string stored for a key of this project's namespace, or undefined. */
export type ConfigSource = (key: string) => string | undefined;

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
  raw(key: ConfigKeyName): string | undefined {
    if (!DEFAULTS.has(key)) throw new Error(`config key "${key}" is not declared in CONFIG_KEYS`);
    const value = this.#source(key);
    return value === undefined || value.trim() === '' ? DEFAULTS.get(key) : value.trim();
  }

  optionalString(key: ConfigKeyName, pattern?: RegExp, hint?: string): string | undefined {
    const value = this.raw(key);
    if (value !== undefined && pattern && !pattern.test(value)) {
      this.fail(key, `${hint ?? `must match ${pattern}`} (got ${JSON.stringify(value)})`);
    }
    return value;
  }

  string(key: ConfigKeyName, pattern?: RegExp, hint?: string): string {
    const value = this.optionalString(key, pattern, hint);
    if (value === undefined) {
      this.fail(key, 'is required (pulumi config set ' + key + ' <value>)');
      return '';
    }
    return value;
  }

  int(key: ConfigKeyName, min: number, max: number): number {
    const value = this.raw(key);
    if (value === undefined || !/^-?\d+$/.test(value)) {
      this.fail(key, `must be a whole number between ${min} and ${max} (got ${JSON.stringify(value)})`);
      return min;
    }
    const n = Number(value);
    if (n < min || n > max) this.fail(key, `must be between ${min} and ${max} (got ${n})`);
    return n;
  }

  bool(key: ConfigKeyName): boolean {
    const value = this.raw(key)?.toLowerCase();
    if (value !== 'true' && value !== 'false') {
      this.fail(key, `must be true or false (got ${JSON.stringify(value)})`);
      return false;
    }
    return value === 'true';
  }

  stringList(key: ConfigKeyName): string[] {
    const parsed = this.#json(key);
    if (!Array.isArray(parsed) || parsed.some((v) => typeof v !== 'string')) {
      this.fail(key, 'must be a list of strings, e.g. ["a","b"]');
      return [];
    }
    return parsed as string[];
  }

  stringMap(key: ConfigKeyName): Record<string, string> {
    const parsed = this.#json(key);
    const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    if (!isObject || Object.values(parsed).some((v) => typeof v !== 'string')) {
      this.fail(key, 'must be a map of strings to strings, e.g. {"NAME":"value"}');
      return {};
    }
    return parsed as Record<string, string>;
  }

  #json(key: ConfigKeyName): unknown {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value);
    } catch {
      return undefined;
    }
  }

  /** Throws a StackConfigError listing every problem found so far. */
  throwIfProblems(): void {
    if (this.problems.length > 0) throw new StackConfigError(this.problems);
  }
}
