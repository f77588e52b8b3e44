/**
 * What the CLI prints: aligned tables (numbers right-aligned with thousands separators) on stdout,
 * a progress bar on stderr (redrawn in place on a terminal, one line per step otherwise).
 */

export type Cell = string | number | null | undefined;

const show = (c: Cell) => (c === null || c === undefined ? '–' : typeof c === 'number' ? c.toLocaleString('en-US') : c);

export function table(head: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map(show));
  const numeric = head.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined));
  const widths = head.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '─'.repeat(w))), ...text.map(line)].join('\n');
}

export function progressBar(stream: NodeJS.WriteStream, label: string) {
  const tty = Boolean(stream.isTTY);
  let last = -1;
  return {
    update(done: number, total: number) {
      if (tty) {
        const width = 30;
        const filled = total === 0 ? width : Math.round((done / total) * width);
        stream.write(`\r${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total}`);
      } else if (done !== last && (done === total || done - last >= 100 || last < 0)) {
        stream.write(`${label}: ${done}/${total}\n`);
      }
      last = done;
    },
    end() {
      if (tty && last >= 0) stream.write('\n');
    },
  };
}
