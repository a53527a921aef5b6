/**
 * The Gemini API's limits and the annotator's retry budget, in one place: the annotator applies
 * them, the fake Gemini server in @annot/testing enforces the inline limit as the real API does,
 * and infra checks the budget against the annotator Lambda's timeout. Pure (no imports beyond the
 * settings list), so infra can bundle it through `@annot/config/gemini-limits`.
 */
import { numericDefault, type SettingName } from './settings.ts';

/**
 * The largest generateContent request body, inline (base64) image included, that Gemini takes:
 * 20 MB, the total request size the API reference documents for inline data. (Google has since
 * raised the inline limit for some inputs; the annotator keeps to the long-documented bound.)
 */
export const GEMINI_INLINE_REQUEST_LIMIT_BYTES = 20 * 1024 * 1024;

/** ANNOTATION_MAX_EDGE's upper bound: a larger copy costs more tokens and encoding time, and tells the model no more. */
export const MAX_ANNOTATION_EDGE = 4096;

/** No single backoff, and no server-requested wait honoured in-process, is longer than this. */
export const GEMINI_MAX_BACKOFF_MS = 20_000;

/** The settings the budget reads; unset ones take their documented default. */
type BudgetEnv = Partial<Record<SettingName, string | undefined>>;

export interface AnnotatorBudget {
  /** GEMINI_MAX_ATTEMPTS × GEMINI_TIMEOUT_MS. */
  readonly attemptsMs: number;
  /** The sum of the backoff ceilings between the attempts (each min(20 s, base × 2^(n-1))). */
  readonly backoffMs: number;
  /** DEADLINE_RESERVE_MS: kept back for recording the result. */
  readonly reserveMs: number;
  /** All three: the longest one annotation may take with every configured attempt made. */
  readonly totalMs: number;
}

/**
 * The worst case of one annotation when every configured attempt runs to its timeout and every
 * backoff to its ceiling (server-requested waits are not counted: one that does not fit before the
 * deadline ends the attempts, see the annotator's retry loop).
 */
export function annotatorBudget(env: BudgetEnv = {}): AnnotatorBudget {
  const value = (name: SettingName) => {
    const set = env[name];
    return set === undefined || set.trim() === '' ? numericDefault(name) : Number(set);
  };
  const attempts = value('GEMINI_MAX_ATTEMPTS');
  const timeoutMs = value('GEMINI_TIMEOUT_MS');
  const baseMs = value('GEMINI_RETRY_BASE_MS');
  let backoffMs = 0;
  for (let failed = 1; failed < attempts; failed++) {
    backoffMs += Math.min(GEMINI_MAX_BACKOFF_MS, baseMs * 2 ** (failed - 1));
  }
  const attemptsMs = attempts * timeoutMs;
  const reserveMs = value('DEADLINE_RESERVE_MS');
  return { attemptsMs, backoffMs, reserveMs, totalMs: attemptsMs + backoffMs + reserveMs };
}
