/**
 * The README's generated tables: the app settings (`pnpm --filter @annot/config run readme`) and
 * the stack config keys (`pnpm --filter infra run readme`) are written by the same two rules.
 */

/** A Markdown table with every column padded to its widest cell (as Biome formats one). */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const columns = rows[0]?.length ?? 0;
  const widths = Array.from({ length: columns }, (_, i) =>
    Math.max(3, ...rows.map((row) => [...(row[i] ?? '')].length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell + ' '.repeat(widths[i]! - [...cell].length)).join(' | ')} |`;
  const [header, ...body] = rows;
  return [line(header ?? []), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** `text` with what stands between the `begin` and `end` markers replaced by `content`. */
export function replaceGeneratedBlock(text: string, begin: string, end: string, content: string): string {
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`README.md has no ${begin} ... ${end} block`);
  return `${text.slice(0, start + begin.length)}\n${content}\n${text.slice(stop)}`;
}
