import { METHODS } from 'node:http';

/** A command-line value that is missing, malformed or out of range. `flag` names the culprit. */
export class ArgumentError extends Error {
  override readonly name = 'ArgumentError';
  readonly flag: string | undefined;
  constructor(flag: string | undefined, message: string, options?: ErrorOptions) {
    super(message, options);
    this.flag = flag;
  }
}

/** A whole number of at least 1. */
export function parsePositiveInt(flag: string, raw: string): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ArgumentError(flag, `${flag} must be a whole number of at least 1, got "${raw}"`);
  }
  return value;
}

/** A number of seconds, fractions allowed, at least `min`. */
export function parseSeconds(flag: string, raw: string, min: number): number {
  const value = /^(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value) || value < min || value === 0) {
    const floor = min > 0 ? `at least ${min}` : 'more than 0';
    throw new ArgumentError(flag, `${flag} must be a number of seconds, ${floor}, got "${raw}"`);
  }
  return value;
}

/** A fraction from 0 to 1 inclusive (0.01 means 1 %). */
export function parseFraction(flag: string, raw: string): number {
  const value = /^(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= 0 && value <= 1)) {
    throw new ArgumentError(flag, `${flag} must be a fraction from 0 to 1 (0.01 = 1%), got "${raw}"`);
  }
  return value;
}

/** An http or https URL. */
export function parseTargetUrl(flag: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new ArgumentError(flag, `${flag} is not a valid URL: "${raw}"`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ArgumentError(flag, `${flag} must be an http or https URL, got ${url.protocol}`);
  }
  return url.href;
}

/** An HTTP method Node knows, in upper case. */
export function parseMethod(flag: string, raw: string): string {
  const method = raw.toUpperCase();
  if (!METHODS.includes(method)) {
    throw new ArgumentError(flag, `${flag} must be an HTTP method such as GET or POST, got "${raw}"`);
  }
  return method;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `name:value` pairs; a repeated name keeps its last value. */
export function parseHeaders(flag: string, raws: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  const keyOf = new Map<string, string>();
  for (const raw of raws) {
    const colon = raw.indexOf(':');
    const name = colon > 0 ? raw.slice(0, colon).trim() : '';
    const value = raw.slice(colon + 1).trim();
    if (!TOKEN.test(name)) {
      throw new ArgumentError(flag, `${flag} must look like "name: value", got "${raw}"`);
    }
    if (/[\r\n\0]/.test(value)) {
      throw new ArgumentError(flag, `${flag} value for ${name} must not contain line breaks`);
    }
    const previous = keyOf.get(name.toLowerCase());
    if (previous !== undefined) delete headers[previous];
    keyOf.set(name.toLowerCase(), name);
    headers[name] = value;
  }
  return headers;
}
