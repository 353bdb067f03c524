// Output helpers for people at a terminal: attacker strings are shown inert (no escapes reach the tty).

/** Replaces C0/C1 control characters and DEL with visible escapes, so ANSI sequences never act. */
export function inert(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Lays rows out in columns, every cell inert (attacker text reaches any column); the last column is not padded. */
export function table(header: string[], rawRows: string[][]): string {
  const rows = rawRows.map((r) => r.map((c) => inert(c)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** N and the NOUN, singular for one ("1 event", "2 events"); PLURAL when adding an s is wrong. */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** HOST:PORT as people and URLs write it: an IPv6 address in brackets. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
