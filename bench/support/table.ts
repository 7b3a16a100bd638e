/** A markdown table from a header row and data rows (cells already formatted). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  // Right-align every column but the first: the rest are numbers.
  const align = header.map((_, i) => (i === 0 ? '---' : '---:'));
  return [line(header), line(align), ...rows.map(line)].join('\n');
}

/** A number with thousands separators and at most `digits` decimals. */
export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A ratio as a percentage. */
export function pct(part: number, whole: number, digits = 1): string {
  return whole === 0 ? '–' : `${fmt((100 * part) / whole, digits)} %`;
}
