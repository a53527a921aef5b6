/** A whole-number command-line option of a bench, at least `least`: anything else stops the bench. */
export function integerOption(values: Record<string, unknown>, name: string, least: number): number {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < least) throw new Error(`--${name} must be an integer >= ${least}`);
  return value;
}
