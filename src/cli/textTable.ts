/**
 * Plain-text tables for a person at a shell: the first `leftColumns` columns left-aligned (names),
 * the rest right-aligned (numbers) except those listed in `textColumns` (text after numbers, such
 * as a process name), columns two spaces apart, or one when two would pass `width`. A line still longer
 * than `width` is cut, ending in "…": the output never wraps on a terminal of that width.
 */
export type Cell = string | number;

export function renderTable(header: readonly string[], rows: readonly (readonly Cell[])[], width = Infinity, leftColumns = 1, textColumns: readonly number[] = []): string {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const lineWidth = (gap: number): number => widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
  const gap = lineWidth(2) <= width ? 2 : 1;
  const lines = cells.map((r) =>
    widths
      .map((w, i) => {
        const c = r[i] ?? '';
        return i < leftColumns || textColumns.includes(i) ? c.padEnd(w) : c.padStart(w);
      })
      .join(' '.repeat(gap))
      .trimEnd(),
  );
  return lines.map((l) => fit(l, width)).join('\n');
}

/** `line`, cut to `width` columns with a final "…" when longer. */
export function fit(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * `text` in lines of at most `width` columns, broken at spaces; continuation lines start with
 * `indent`. A word longer than a line is cut (fit).
 */
export function wrap(text: string, width: number, indent: string): string[] {
  if (text.length <= width) return [text];
  const lead = /^ */.exec(text)![0];
  const lines: string[] = [];
  let line = lead;
  for (const word of text.slice(lead.length).split(' ')) {
    const next = line.trim() === '' ? `${line}${word}` : `${line} ${word}`;
    if (next.length > width && line.trim() !== '') {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = next;
  }
  lines.push(line);
  return lines.map((l) => fit(l, width));
}
