// sed: s/re/repl/[g], d, p with -n, line addresses and /re/ addresses; -i edits files in place.
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';
import { breToJs } from './grep.js';
import { lines, RegexBudget, safeRegExp, type RegexRefusal } from './util.js';

export const sed: CommandDef = {
  names: ['sed'],
  run(ctx) {
    let quiet = false;
    let inPlace = false;
    let extended = false;
    const scripts: string[] = [];
    const files: string[] = [];
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i]!;
      if (a === '-n') quiet = true;
      else if (a.startsWith('-i')) inPlace = true;
      else if (a === '-E' || a === '-r') extended = true;
      else if (a === '-e') scripts.push(ctx.args[++i] ?? '');
      else if (!scripts.length && !a.startsWith('-')) scripts.push(a);
      else files.push(a);
    }
    if (!scripts.length) {
      ctx.err('Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n');
      return 1;
    }
    const cmds: ((l: string, n: number) => { line: string | undefined; print: boolean })[] = [];
    const budget = new RegexBudget();
    const refuse = (why: RegexRefusal): number => {
      ctx.err(`sed: -e expression #1: ${why === 'too-big' ? 'Regular expression too big' : 'Invalid regular expression'}\n`);
      return 1;
    };
    for (const s of scripts.flatMap((x) => x.split(/;|\n/))) {
      const t = s.trim();
      if (!t) continue;
      const m = /^(\d+|\$|\/(?:[^/\\]|\\.)*\/)?\s*(s(.)(.*)|d|p)$/.exec(t);
      if (!m) {
        ctx.err(`sed: -e expression #1, char ${t.length}: unknown command: \`${t[0]}'\n`);
        return 1;
      }
      const addr = m[1];
      let match: (l: string, n: number) => boolean = () => true;
      if (addr !== undefined) {
        if (addr === '$') match = (_l, n) => n === -1;
        else if (/^\d+$/.test(addr)) match = (_l, n) => n === Number(addr);
        else {
          const re = safeRegExp(extended ? addr.slice(1, -1) : breToJs(addr.slice(1, -1)), '', budget);
          if (typeof re === 'string') return refuse(re);
          match = (l) => re.test(l);
        }
      }
      if (m[2] === 'd') cmds.push((l, n) => (match(l, n) ? { line: undefined, print: false } : { line: l, print: false }));
      else if (m[2] === 'p') cmds.push((l, n) => ({ line: l, print: match(l, n) }));
      else {
        const d = m[3]!;
        const parts = m[4]!.split(new RegExp(`(?<!\\\\)\\${d}`));
        if (parts.length < 2) {
          ctx.err("sed: -e expression #1, char 5: unterminated `s' command\n");
          return 1;
        }
        const [pat, repl, flags = ''] = parts;
        const re = safeRegExp(extended ? pat! : breToJs(pat!), `${flags.includes('g') ? 'g' : ''}${flags.includes('I') || flags.includes('i') ? 'i' : ''}`, budget);
        if (typeof re === 'string') return refuse(re);
        const replacement = repl!.replace(/\\(\d)/g, '$$$1').replace(/(?<!\\)&/g, '$$&').replace(/\\&/g, '&').replace(/\\\//g, '/');
        cmds.push((l, n) => ({ line: match(l, n) ? re.replace(l, replacement) : l, print: false }));
      }
    }
    const apply = (text: string): string => {
      const ls = lines(text);
      let out = '';
      for (let i = 0; i < ls.length && !budget.exhausted; i++) {
        let l: string | undefined = ls[i]!;
        const n = i === ls.length - 1 ? -1 : i + 1;
        for (const c of cmds) {
          if (l === undefined) break;
          const r = c(l, n === -1 ? -1 : n);
          if (r.print && r.line !== undefined) out += `${r.line}\n`;
          l = r.line;
        }
        if (l !== undefined && !quiet && !budget.exhausted) out += `${l}\n`;
      }
      return out;
    };
    // Past the matching budget GNU sed's own allocator failure is the closest real answer.
    const exhausted = (): number => {
      ctx.err("sed: couldn't re-allocate memory\n");
      return 4;
    };
    if (files.length === 0) {
      ctx.out(apply(ctx.stdin.toString('utf8')));
      return budget.exhausted ? exhausted() : 0;
    }
    let status = 0;
    for (const f of files) {
      const path = ctx.sh.resolve(f);
      const d = ctx.sh.vfs.readFile(path);
      if (typeof d === 'string') {
        ctx.err(`sed: can't read ${f}: ${FS_ERROR_TEXT[d]}\n`);
        status = 2;
        continue;
      }
      const result = apply(d.toString('utf8'));
      if (budget.exhausted) {
        if (!inPlace) ctx.out(result);
        return exhausted();
      }
      if (inPlace) {
        const e = ctx.sh.vfs.writeFile(path, Buffer.from(result));
        if (e) {
          ctx.err(`sed: couldn't open temporary file ${f}: ${FS_ERROR_TEXT[e]}\n`);
          status = 4;
        }
      } else ctx.out(result);
    }
    return status;
  },
};
