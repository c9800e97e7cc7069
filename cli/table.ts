/** Text layout for terminal output: tables that fit a width, and word-wrapped paragraphs. */

const GAP = 2;
const ELLIPSIS = '…';

/** `text` cut to `width` characters, the last one an ellipsis when anything was cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...text];
  return chars.length <= width ? text : chars.slice(0, width - 1).join('') + ELLIPSIS;
}

/**
 * A table of left-aligned columns that fits in `width`: when the natural widths do not fit, the
 * `shrink` columns give way in the order listed, each down to its header's width (at least
 * `floor`), their long cells ending with an ellipsis. Other columns keep their width.
 */
export function fitTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  width: number,
  shrink: readonly number[],
  floor = 12,
  /** Whether a shrinking column may also cut its header (down to `floor`). */
  cutHeaders = false,
): string {
  const length = (s: string) => [...s].length;
  const widths = header.map((h, i) => Math.max(length(h), ...rows.map((r) => length(r[i] ?? ''))));
  let excess = widths.reduce((sum, w) => sum + w, 0) + GAP * (widths.length - 1) - width;
  for (const i of shrink) {
    if (excess <= 0) break;
    const least = cutHeaders ? floor : Math.max(length(header[i]!), floor);
    const give = Math.max(0, Math.min(excess, widths[i]! - least));
    widths[i]! -= give;
    excess -= give;
  }
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const cut = truncate(cell, widths[i]!);
        return cut + ' '.repeat(widths[i]! - length(cut));
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * Word-wraps `text` to `width` columns, each line starting with `indent` (continuation lines
 * with `hanging`, default the same). A word longer than a line is broken.
 */
export function wrap(text: string, width: number, indent = '', hanging = indent): string {
  const lines: string[] = [];
  let line = indent;
  let empty = true;
  const room = () => width - [...line].length;
  for (let word of text.split(/\s+/).filter(Boolean)) {
    if (!empty && [...word].length + 1 > room()) {
      lines.push(line);
      line = hanging;
      empty = true;
    }
    while ([...word].length > room() && room() > 1) {
      const fits = [...word].slice(0, room() - (empty ? 0 : 1));
      line += (empty ? '' : ' ') + fits.join('');
      word = [...word].slice(fits.length).join('');
      lines.push(line);
      line = hanging;
      empty = true;
    }
    line += (empty ? '' : ' ') + word;
    empty = false;
  }
  lines.push(line);
  return lines.map((l) => l.trimEnd()).join('\n');
}
