/**
 * Whether the annotator's configured Gemini attempts fit its Lambda timeout. The annotator stops
 * at its deadline anyway (the function's remaining time, less DEADLINE_RESERVE_MS), so a budget
 * that does not fit would not overrun the function: it would silently make fewer attempts than
 * configured. That is refused here, before anything is deployed. The worst case itself is
 * @annot/config's (`annotatorBudget`), the one owner of the rule.
 */
import { annotatorBudget } from '@annot/config/gemini-limits';

/** Why the annotator's attempts do not fit `timeoutSeconds`, or undefined when they do. */
export function annotatorBudgetProblem(
  timeoutSeconds: number,
  appEnv: Readonly<Record<string, string>>,
): string | undefined {
  const budget = annotatorBudget(appEnv);
  if (!Number.isFinite(budget.totalMs)) {
    return 'cannot be checked: appEnv GEMINI_MAX_ATTEMPTS, GEMINI_TIMEOUT_MS and GEMINI_RETRY_BASE_MS must be whole numbers';
  }
  if (budget.totalMs <= timeoutSeconds * 1000) return undefined;
  const s = (ms: number) => `${ms / 1000} s`;
  return (
    `${timeoutSeconds} s is too short for the annotator's Gemini attempts: ` +
    `${s(budget.attemptsMs)} of attempts (GEMINI_MAX_ATTEMPTS x GEMINI_TIMEOUT_MS) + ${s(budget.backoffMs)} of backoff + ` +
    `${s(budget.reserveMs)} kept to record the result = ${s(budget.totalMs)}; ` +
    `raise it to at least ${Math.ceil(budget.totalMs / 1000)}, or lower the attempts or the timeout in appEnv`
  );
}
