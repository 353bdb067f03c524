// ls: long and short listings from the virtual filesystem, with -a -l -n -h -d -R -1 -t -S.
import { posix } from 'node:path';
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT, sizeOf, type VNode } from '../vfs.js';
import { groupName, humanSize, lsTime, linkCount, modeString, parseOpts, userName } from './util.js';

export const ls: CommandDef = {
  names: ['ls', 'dir', 'vdir'],
  run(ctx) {
    const o = parseOpts(ctx.args, [], 'alnhdR1tSrAFiscCQm');
    if (o.bad !== undefined) {
      ctx.err(`ls: invalid option -- '${o.bad}'\nTry 'ls --help' for more information.\n`);
      return 2;
    }
    // -n is -l with numeric ids.
    const numeric = o.flags.has('n');
    const long = o.flags.has('l') || numeric || ctx.name === 'vdir';
    const all = o.flags.has('a');
    const almost = o.flags.has('A');
    const human = o.flags.has('h');
    const sh = ctx.sh;
    const targets = o.rest.length ? o.rest : ['.'];
    let status = 0;
    const files: { name: string; node: VNode; path: string }[] = [];
    const dirs: { name: string; path: string }[] = [];
    for (const t of targets) {
      const abs = sh.resolve(t);
      const st = sh.vfs.stat(abs, !long || t.endsWith('/'));
      if (typeof st === 'string') {
        ctx.err(`ls: cannot access '${t}': ${FS_ERROR_TEXT[st]}\n`);
        status = 2;
        continue;
      }
      if (st.node.kind === 'dir' && !o.flags.has('d')) dirs.push({ name: t, path: st.path });
      else files.push({ name: t, node: st.node, path: abs });
    }
    const now = sh.now();
    const fmt = (entries: { name: string; node: VNode; path: string }[]): string => {
      if (!long) {
        const names = entries.map((e) => (/[\s'"$\\]/.test(e.name) ? `'${e.name}'` : e.name));
        // One name a line unless stdout is a terminal, as GNU ls does.
        if (o.flags.has('1') || !ctx.stdoutIsTerminal) return names.map((n) => `${n}\n`).join('');
        return names.length ? columns(names, sh.terminal.width) : '';
      }
      const rows = entries.map((e) => {
        const n = e.node;
        const size = n.kind === 'file' && n.device ? `${n.device[0]}, ${n.device[1]}` : human ? humanSize(sizeOf(n)) : String(sizeOf(n));
        let name = e.name;
        if (n.kind === 'link') name += ` -> ${n.target}`;
        return [modeString(n), String(linkCount(sh.vfs, e.path, n)), numeric ? String(n.uid) : userName(n.uid, sh), numeric ? String(n.gid) : groupName(n.gid, sh), size, lsTime(n.mtimeMs || now, now), name];
      });
      const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
      return rows.map((r) => `${r[0]} ${r[1]!.padStart(widths[1]!)} ${r[2]!.padEnd(widths[2]!)} ${r[3]!.padEnd(widths[3]!)} ${r[4]!.padStart(widths[4]!)} ${r[5]} ${r[6]}\n`).join('');
    };
    const sortEntries = (list: { name: string; node: VNode; path: string }[]): typeof list => {
      const s = [...list];
      if (o.flags.has('t')) s.sort((a, b) => b.node.mtimeMs - a.node.mtimeMs);
      else if (o.flags.has('S')) s.sort((a, b) => sizeOf(b.node) - sizeOf(a.node));
      else s.sort((a, b) => a.name.replace(/^\./, '').localeCompare(b.name.replace(/^\./, '')));
      if (o.flags.has('r')) s.reverse();
      return s;
    };
    let out = fmt(sortEntries(files));
    const listDir = (d: { name: string; path: string }, header: boolean, depth: number): void => {
      const names = sh.vfs.list(d.path);
      if (typeof names === 'string') {
        ctx.err(`ls: cannot open directory '${d.name}': ${FS_ERROR_TEXT[names]}\n`);
        status = 2;
        return;
      }
      const entries: { name: string; node: VNode; path: string }[] = [];
      if (all) {
        const self = sh.vfs.stat(d.path);
        const parent = sh.vfs.stat(posix.dirname(d.path));
        if (typeof self !== 'string') entries.push({ name: '.', node: self.node, path: d.path });
        if (typeof parent !== 'string') entries.push({ name: '..', node: parent.node, path: posix.dirname(d.path) });
      }
      for (const n of names) {
        if (n.startsWith('.') && !all && !almost) continue;
        const p = d.path === '/' ? `/${n}` : `${d.path}/${n}`;
        const st = sh.vfs.stat(p, false);
        if (typeof st !== 'string') entries.push({ name: n, node: st.node, path: p });
      }
      const sorted = sortEntries(entries);
      if (header) out += `${out ? '\n' : ''}${d.name}:\n`;
      if (long) {
        const blocks = sorted.reduce((acc, e) => acc + Math.ceil(sizeOf(e.node) / 4096) * 4, 0);
        out += `total ${human ? humanSize(blocks * 1024) : blocks}\n`;
      }
      out += fmt(sorted);
      if (o.flags.has('R') && depth < 8) {
        for (const e of sorted) if (e.node.kind === 'dir' && e.name !== '.' && e.name !== '..') listDir({ name: `${d.name}/${e.name}`, path: e.path }, true, depth + 1);
      }
    };
    const header = dirs.length + files.length > 1 || o.flags.has('R');
    for (const d of dirs) listDir(d, header, 0);
    ctx.out(out);
    return status;
  },
};

/** Lays NAMES out in columns across WIDTH, down then across, as ls does on a terminal. */
export function columns(names: string[], width: number): string {
  const w = Math.max(20, width || 80);
  for (let rows = 1; rows <= names.length; rows++) {
    const cols = Math.ceil(names.length / rows);
    const colWidths: number[] = [];
    for (let c = 0; c < cols; c++) colWidths.push(Math.max(...names.slice(c * rows, c * rows + rows).map((n) => n.length)) + 2);
    const total = colWidths.reduce((a, b) => a + b, 0) - 2;
    if (total <= w || rows === names.length) {
      let out = '';
      for (let r = 0; r < rows; r++) {
        const line: string[] = [];
        for (let c = 0; c < cols; c++) {
          const n = names[c * rows + r];
          if (n === undefined) continue;
          const last = c === cols - 1 || names[(c + 1) * rows + r] === undefined;
          line.push(last ? n : n.padEnd(colWidths[c]!));
        }
        out += `${line.join('')}\n`;
      }
      return out;
    }
  }
  return names.map((n) => `${n}\n`).join('');
}
