/**
 * Typed reads of environment variables, each validated by a zod schema. Problems are collected,
 * not thrown one by one, so a bad environment is reported whole (see `ConfigError`).
 */
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { SETTINGS, type SettingName } from './settings.ts';

export type Env = Readonly<Record<string, string | undefined>>;

const DEFAULTS: Record<string, string | undefined> = Object.fromEntries(
  SETTINGS.map((s) => [s.name, s.default]),
);

export class EnvReader {
  readonly #env: Env;
  readonly #problems: { variable: string; message: string }[] = [];

  constructor(env: Env) {
    this.#env = env;
  }

  fail(variable: SettingName, message: string): void {
    this.#problems.push({ variable, message });
  }

  /** The variable's value (its default when unset or empty), parsed; undefined when invalid. */
  read<T>(name: SettingName, schema: z.ZodType<T, string>): T;
  read<T>(name: SettingName, schema: z.ZodType<T, string>, optional: true): T | undefined;
  read<T>(name: SettingName, schema: z.ZodType<T, string>, optional = false): T | undefined {
    const raw = this.#env[name] === undefined || this.#env[name] === '' ? DEFAULTS[name] : this.#env[name];
    if (raw === undefined) {
      if (!optional) this.fail(name, 'is required');
      return undefined;
    }
    const result = schema.safeParse(raw);
    if (!result.success) {
      const shown = SETTINGS.find((s) => s.name === name && 'secret' in s && s.secret)
        ? '(hidden)'
        : JSON.stringify(raw);
      this.fail(name, `${result.error.issues[0]?.message ?? 'invalid'} (got ${shown})`);
      return undefined;
    }
    return result.data;
  }

  /** Throws a `ConfigError` naming every variable that failed so far. */
  throwIfInvalid(): void {
    if (this.#problems.length > 0) throw new ConfigError(this.#problems);
  }
}

export const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

export const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' }))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const nonEmpty = z.string().trim().min(1, 'must not be empty');

export const httpUrl = nonEmpty.refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'expected an http:// or https:// URL');
