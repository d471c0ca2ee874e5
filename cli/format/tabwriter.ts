// Go's text/tabwriter (flags 0, space padding), the aligner behind every docker table.
// Cells end with '\t'; the text after a line's last tab is not part of any column and
// is written unpadded. A column block is a run of consecutive lines that all have a
// tab-terminated cell in that column; its width is the widest cell plus padding, at
// least minwidth.

export interface TabwriterOptions {
  minwidth: number;
  padding: number;
}

/** docker/cli formatter: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0). */
export const DOCKER_TABLE: TabwriterOptions = { minwidth: 10, padding: 3 };

export function tabwrite(text: string, opts: TabwriterOptions = DOCKER_TABLE): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  const out: string[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      cells.forEach((c, j) => {
        out.push(c);
        if (j < widths.length) out.push(' '.repeat(Math.max(0, widths[j]! - runeCount(c))));
      });
      // The text after the last newline has none of its own.
      if (i + 1 < lines.length) out.push('\n');
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let at = line0; at < line1; at++) {
      if (column >= lines[at]!.length - 1) continue;
      writeLines(line0, at);
      line0 = at;
      let width = opts.minwidth;
      for (; at < line1; at++) {
        const cells = lines[at]!;
        if (column >= cells.length - 1) break;
        width = Math.max(width, runeCount(cells[column]!) + opts.padding);
      }
      widths.push(width);
      format(line0, at);
      widths.pop();
      line0 = at;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('');
}

/** Go's tabwriter measures cells in runes (code points), not UTF-16 units. */
export function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
