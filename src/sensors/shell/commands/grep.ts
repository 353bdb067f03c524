// grep, egrep, fgrep: -i -v -c -n -l -o -w -E -F -r -q -h -H -e.
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';
import { lines, MAX_REGEX_CHARS, parseOpts, safeRegExp } from './util.js';

/** Regular expressions longer than this are refused (and never compiled). */
export const MAX_PATTERN_CHARS = MAX_REGEX_CHARS;

/** Turns a POSIX basic regular expression into a JavaScript one (the common cases). */
export function breToJs(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\' && i + 1 < p.length) {
      const n = p[++i]!;
      if ('(){}|+?'.includes(n)) out += n;
      else out += `\\${n}`;
    } else if ('(){}|+?'.includes(c)) out += `\\${c}`;
    else out += c;
  }
  return out;
}

export const grep: CommandDef = {
  names: ['grep', 'egrep', 'fgrep'],
  run(ctx) {
    const o = parseOpts(ctx.args, ['e', 'm', 'A', 'B', 'C', 'f'], 'ivcnlowEFrRqhHesxLmABCZPza');
    if (o.bad !== undefined) {
      ctx.err(`grep: invalid option -- '${o.bad}'\nUsage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n`);
      return 2;
    }
    const rest = [...o.rest];
    const pattern = o.values.get('e') ?? rest.shift();
    if (pattern === undefined) {
      ctx.err("Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n");
      return 2;
    }
    if (pattern.length > MAX_PATTERN_CHARS) {
      ctx.err('grep: regular expression too big\n');
      return 2;
    }
    const fixed = o.flags.has('F') || ctx.name === 'fgrep';
    const extended = o.flags.has('E') || ctx.name === 'egrep';
    let src = fixed ? pattern.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : extended ? pattern : breToJs(pattern);
    if (o.flags.has('w')) src = `\\b(?:${src})\\b`;
    if (o.flags.has('x')) src = `^(?:${src})$`;
    const re = safeRegExp(src, o.flags.has('i') ? 'i' : '');
    if (typeof re === 'string') {
      ctx.err(re === 'too-big' ? 'grep: regular expression too big\n' : 'grep: Unmatched ( or \\(\n');
      return 2;
    }
    // Past the matching budget: GNU grep's answer when a pattern exhausts its memory.
    const exhausted = (): number => {
      ctx.err('grep: memory exhausted\n');
      return 2;
    };
    const files: { name: string; data: Buffer }[] = [];
    let status = 1;
    let errors = false;
    const addPath = (shown: string, depth: number): void => {
      const path = ctx.sh.resolve(shown);
      const st = ctx.sh.vfs.stat(path);
      if (typeof st === 'string') {
        if (!o.flags.has('s')) ctx.err(`grep: ${shown}: ${FS_ERROR_TEXT[st]}\n`);
        errors = true;
        return;
      }
      if (st.node.kind === 'dir') {
        if (!(o.flags.has('r') || o.flags.has('R'))) {
          ctx.err(`grep: ${shown}: Is a directory\n`);
          return;
        }
        const kids = ctx.sh.vfs.list(path);
        if (typeof kids !== 'string' && depth < 16) for (const k of kids) if (files.length < 2000) addPath(`${shown.replace(/\/$/, '')}/${k}`, depth + 1);
        return;
      }
      const d = ctx.sh.vfs.readFile(path);
      if (typeof d === 'string') {
        ctx.err(`grep: ${shown}: ${FS_ERROR_TEXT[d]}\n`);
        errors = true;
        return;
      }
      files.push({ name: shown, data: d });
    };
    if (rest.length === 0) {
      if (o.flags.has('r') || o.flags.has('R')) addPath('.', 0);
      else files.push({ name: '(standard input)', data: ctx.stdin });
    } else for (const f of rest) addPath(f, 0);
    const showName = (files.length > 1 || o.flags.has('r') || o.flags.has('R')) && !o.flags.has('h') ? true : o.flags.has('H');
    const max = o.values.has('m') ? Number(o.values.get('m')) : Infinity;
    for (const f of files) {
      const binary = f.data.includes(0);
      let count = 0;
      const ls = lines(f.data.toString(binary ? 'latin1' : 'utf8'));
      for (let i = 0; i < ls.length && count < max; i++) {
        const l = ls[i]!;
        const hit = re.test(l) !== o.flags.has('v');
        if (re.budget.exhausted) return exhausted();
        if (!hit) continue;
        count++;
        status = 0;
        if (o.flags.has('q')) return 0;
        if (o.flags.has('c') || o.flags.has('l') || o.flags.has('L')) continue;
        if (binary) {
          ctx.out(`grep: ${f.name}: binary file matches\n`);
          break;
        }
        const prefix = `${showName ? `${f.name}:` : ''}${o.flags.has('n') ? `${i + 1}:` : ''}`;
        if (o.flags.has('o') && !o.flags.has('v')) {
          for (const m of re.matches(l)) ctx.out(`${prefix}${m}\n`);
          if (re.budget.exhausted) return exhausted();
        } else ctx.out(`${prefix}${l}\n`);
      }
      if (o.flags.has('c')) ctx.out(`${showName ? `${f.name}:` : ''}${count}\n`);
      if (o.flags.has('l') && count > 0) ctx.out(`${f.name}\n`);
      if (o.flags.has('L') && count === 0) ctx.out(`${f.name}\n`);
    }
    return errors && status !== 0 ? 2 : status;
  },
};
