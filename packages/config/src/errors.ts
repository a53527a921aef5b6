/** One or more environment variables are invalid. The message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly variables: readonly string[];
  constructor(problems: readonly { variable: string; message: string }[]) {
    super(
      problems.length === 1
        ? `Invalid configuration: ${problems[0]!.variable}: ${problems[0]!.message}`
        : `Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`,
    );
    this.variables = problems.map((p) => p.variable);
  }
}
