import { describe, expect, it } from 'vitest';
import { annotatorBudgetProblem } from '../src/annotator-budget.ts';
import { parseStackConfig, StackConfigError } from '../src/config.ts';
import { configSource } from './support/config-source.ts';

describe("the annotator's Gemini attempts fit annotatorTimeoutSeconds", () => {
  it('accepts the defaults: 4 x 12 s + 3.5 s of backoff + 5 s reserve = 56.5 s, within 60 s', () => {
    expect(annotatorBudgetProblem(60, {})).toBeUndefined();
    expect(annotatorBudgetProblem(57, {})).toBeUndefined();
  });

  it('refuses a timeout the configured attempts do not fit, and says by how much', () => {
    expect(annotatorBudgetProblem(56, {})).toBe(
      "56 s is too short for the annotator's Gemini attempts: 48 s of attempts (GEMINI_MAX_ATTEMPTS x GEMINI_TIMEOUT_MS) + 3.5 s of backoff + 5 s kept to record the result = 56.5 s; raise it to at least 57, or lower the attempts or the timeout in appEnv",
    );
  });

  it("reads the stack's appEnv overrides", () => {
    const slow = { GEMINI_TIMEOUT_MS: '30000' };
    expect(annotatorBudgetProblem(60, slow)).toMatch(
      /120 s of attempts .* = 128.5 s; raise it to at least 129/,
    );
    expect(annotatorBudgetProblem(129, slow)).toBeUndefined();
    expect(
      annotatorBudgetProblem(60, { GEMINI_MAX_ATTEMPTS: '2', GEMINI_TIMEOUT_MS: '25000' }),
    ).toBeUndefined();
    expect(annotatorBudgetProblem(60, { GEMINI_TIMEOUT_MS: 'soon' })).toMatch(/must be whole numbers/);
  });

  it('is one of the problems parseStackConfig reports, against the annotatorTimeoutSeconds key', () => {
    const source = configSource({
      owner: 'platform-team',
      geminiApiKey: 'k',
      annotatorTimeoutSeconds: '30',
    });
    let problems: string[] = [];
    try {
      parseStackConfig(source, { project: 'image-annotation-platform', stack: 'dev', region: 'eu-west-1' });
    } catch (error) {
      expect(error).toBeInstanceOf(StackConfigError);
      problems = (error as StackConfigError).problems.map((p) => `${p.key}: ${p.message}`);
    }
    expect(problems).toEqual([
      expect.stringMatching(/^image-annotation-platform:annotatorTimeoutSeconds: 30 s is too short/),
    ]);
  });

  it('is not checked with annotator local, which makes no Gemini attempts', () => {
    const source = configSource({
      owner: 'platform-team',
      annotator: 'local',
      annotatorTimeoutSeconds: '30',
    });
    const config = parseStackConfig(source, {
      project: 'image-annotation-platform',
      stack: 'dev',
      region: 'eu-west-1',
    });
    expect(config.annotator.timeoutSeconds).toBe(30);
  });
});
