// sed (GNU sed 4.9): addresses (N, $, /re/, N,M, N,+M, first~step, 0,/re/, !), blocks, and the
// commands s y p P d D q Q = a i c n N h H g G x b t T :label; -n -e -f -i -E/-r -s. Every pattern
// is bounded (util.ts), and so are the commands one run may execute (loops with b/t).
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';
import { breToJs } from './grep.js';
import { lines, RegexBudget, safeRegExp, type BoundedRegExp, type RegexRefusal } from './util.js';

/** Script commands one sed run may execute over all its input (a `b` loop ends here). */
export const MAX_SED_STEPS = 2_000_000;
/** Longest script accepted (GNU has no limit; a longer one is refused as too big). */
export const MAX_SED_SCRIPT_CHARS = 64 * 1024;

type Addr = { kind: 'line'; n: number } | { kind: 'last' } | { kind: 're'; re: BoundedRegExp } | { kind: 'step'; first: number; step: number } | { kind: 'plus'; n: number };

interface Cmd {
  a1?: Addr;
  a2?: Addr;
  negate: boolean;
  /** A range's state: active, and the line it ends on for N,+M and N,M. */
  active: boolean;
  endLine: number;
  name: string;
  /** The text of a, i, c; the label of b, t, T, :; the file of r, w. */
  text: string;
  /** Where `{` jumps when its address does not match (the index after its `}`), and where b/t jump. */
  jump: number;
  /** s: its pattern, replacement pieces and flags; y: the maps. */
  re?: BoundedRegExp;
  repl?: (string | number)[];
  global?: boolean;
  nth?: number;
  print?: boolean;
  from?: string;
  to?: string;
  exit?: number;
}

class SedError {
  constructor(
    readonly message: string,
    readonly char?: number,
  ) {}
}

/** Parses SCRIPT into commands; throws SedError as GNU sed reports it. */
function parseScript(script: string, extended: boolean, budget: RegexBudget): Cmd[] {
  const cmds: Cmd[] = [];
  const blocks: number[] = [];
  let i = 0;
  let last: BoundedRegExp | undefined;
  const fail = (msg: string, at = i): never => {
    throw new SedError(msg, at);
  };
  const compile = (src: string, flags: string): BoundedRegExp => {
    if (src === '') {
      if (!last) fail('no previous regular expression');
      return last!;
    }
    const re = safeRegExp(extended ? src : breToJs(src), flags, budget);
    if (typeof re === 'string') throw new SedError(re === 'too-big' ? 'Regular expression too big' : 'Invalid regular expression');
    return (last = re);
  };
  /** The text up to the unescaped DELIM, `\DELIM` and `\n` translated; the index is past DELIM. */
  const delimited = (delim: string, what: string): string => {
    let out = '';
    while (i < script.length) {
      const c = script[i]!;
      if (c === '\\' && i + 1 < script.length) {
        const n = script[i + 1]!;
        out += n === delim ? delim : n === 'n' ? '\n' : `\\${n}`;
        i += 2;
        continue;
      }
      if (c === delim) {
        i++;
        return out;
      }
      if (c === '\n' && what === 'address') break;
      out += c;
      i++;
    }
    return fail(what === 'address' ? 'unterminated address regex' : what === 'y' ? "unterminated `y' command" : "unterminated `s' command", script.length);
  };
  const spaces = (): void => {
    while (script[i] === ' ' || script[i] === '\t') i++;
  };
  const number = (): number => {
    const m = /^\d+/.exec(script.slice(i, i + 20));
    i += m![0].length;
    return Number(m![0]);
  };
  const address = (): Addr | undefined => {
    const c = script[i];
    if (c === undefined) return undefined;
    if (/\d/.test(c)) {
      const n = number();
      if (script[i] === '~') {
        i++;
        const step = /\d/.test(script[i] ?? '') ? number() : 0;
        return { kind: 'step', first: n, step };
      }
      return { kind: 'line', n };
    }
    if (c === '$') {
      i++;
      return { kind: 'last' };
    }
    if (c === '/' || c === '\\') {
      let delim = '/';
      if (c === '\\') {
        delim = script[i + 1] ?? fail('unexpected end of script');
        i++;
      }
      i++;
      const src = delimited(delim, 'address');
      let flags = '';
      while (script[i] === 'I' || script[i] === 'M') flags += script[i++] === 'I' ? 'i' : 'm';
      return { kind: 're', re: compile(src, flags) };
    }
    return undefined;
  };
  /** After a command: blanks, then `;`, a newline, `}`, `#` or the end. */
  const end = (): void => {
    spaces();
    const c = script[i];
    if (c === undefined || c === ';' || c === '\n') {
      if (c !== undefined) i++;
      return;
    }
    if (c === '}' || c === '#') return;
    fail('extra characters after command', i + 1);
  };
  /** The text of a, i, c: GNU's one-line form (`a text`) or the classic one (`a\` newline text). */
  const text = (): string => {
    spaces();
    if (script[i] === '\\') {
      i++;
      if (script[i] === '\n') i++;
    }
    let out = '';
    while (i < script.length && script[i] !== '\n') {
      if (script[i] === '\\' && i + 1 < script.length) {
        out += script[i + 1];
        i += 2;
        continue;
      }
      out += script[i++];
    }
    i++;
    return out;
  };
  const label = (): string => {
    spaces();
    const m = /^[^;\n}]*/.exec(script.slice(i))![0].trim();
    i += m.length;
    while (script[i] === ' ') i++;
    if (script[i] === ';' || script[i] === '\n') i++;
    return m;
  };
  while (i < script.length) {
    while (i < script.length && /[\s;]/.test(script[i]!)) i++;
    if (i >= script.length) break;
    if (script[i] === '#') {
      while (i < script.length && script[i] !== '\n') i++;
      continue;
    }
    const cmd: Cmd = { negate: false, active: false, endLine: 0, name: '', text: '', jump: -1 };
    const a1 = address();
    if (a1) {
      cmd.a1 = a1;
      spaces();
      if (script[i] === ',') {
        i++;
        spaces();
        if (script[i] === '+' || script[i] === '~') {
          const kind = script[i++];
          if (!/\d/.test(script[i] ?? '')) fail('expected newer version of sed');
          const n = number();
          cmd.a2 = kind === '+' ? { kind: 'plus', n } : { kind: 'step', first: 0, step: n };
        } else {
          const a2 = address();
          if (!a2) fail("unexpected `,'", i);
          cmd.a2 = a2;
        }
      }
      if (a1.kind === 'line' && a1.n === 0 && cmd.a2?.kind !== 're') fail('invalid usage of line address 0', i + 1);
    }
    spaces();
    while (script[i] === '!') {
      cmd.negate = true;
      i++;
      spaces();
    }
    const name = script[i];
    if (name === undefined || name === '\n' || name === ';') fail('missing command', i);
    i++;
    cmd.name = name!;
    const oneAddress = (): void => {
      if (cmd.a2) fail('command only uses one address', i);
    };
    switch (name) {
      case '{':
        blocks.push(cmds.length);
        break;
      case '}':
        if (a1) fail('} doesn\'t want any addresses', i);
        if (blocks.length === 0) fail("unexpected `}'", i);
        cmds[blocks.pop()!]!.jump = cmds.length + 1;
        end();
        break;
      case 's': {
        const delim = script[i];
        if (delim === undefined || delim === '\n' || delim === '\\') fail("unterminated `s' command", script.length);
        i++;
        const pat = delimited(delim!, 's');
        const repl = delimited(delim!, 's');
        let flags = '';
        cmd.global = false;
        cmd.nth = 1;
        for (;;) {
          const f = script[i];
          if (f === 'g') cmd.global = true;
          else if (f === 'p') cmd.print = true;
          else if (f === 'i' || f === 'I') flags += 'i';
          else if (f === 'm' || f === 'M') flags += 'm';
          else if (f !== undefined && /\d/.test(f)) {
            cmd.nth = number();
            if (cmd.nth === 0) fail("number option to `s' command may not be zero", i);
            continue;
          } else if (f === undefined || f === ';' || f === '\n' || f === '}' || f === '#' || f === ' ' || f === '\t') break;
          else fail("unknown option to `s'", i + 1);
          i++;
        }
        cmd.re = compile(pat, flags);
        cmd.repl = replacement(repl);
        end();
        break;
      }
      case 'y': {
        const delim = script[i];
        if (delim === undefined || delim === '\n' || delim === '\\') fail("unterminated `y' command", script.length);
        i++;
        const from = [...delimited(delim!, 'y').replace(/\\\\/g, '\\')];
        const to = [...delimited(delim!, 'y').replace(/\\\\/g, '\\')];
        if (from.length !== to.length) fail("strings for `y' command are different lengths", i);
        cmd.from = from.join('');
        cmd.to = to.join('');
        end();
        break;
      }
      case 'a':
      case 'i':
      case 'c':
        cmd.text = text();
        break;
      case 'q':
      case 'Q':
        oneAddress();
        spaces();
        cmd.exit = /\d/.test(script[i] ?? '') ? number() : 0;
        end();
        break;
      case ':':
        if (a1) fail(': doesn\'t want any addresses', i);
        cmd.text = label();
        if (cmd.text === '') fail('":" lacks a label', i);
        break;
      case 'b':
      case 't':
      case 'T':
        cmd.text = label();
        break;
      case '=':
      case 'p':
      case 'P':
      case 'd':
      case 'D':
      case 'n':
      case 'N':
      case 'h':
      case 'H':
      case 'g':
      case 'G':
      case 'x':
      case 'l':
      case 'z':
        end();
        break;
      default:
        fail(`unknown command: \`${name}'`, i);
    }
    cmds.push(cmd);
  }
  if (blocks.length > 0) fail("unmatched `{'", 0);
  // Branches jump to their label, or past the end without one.
  for (const c of cmds) {
    if (c.name !== 'b' && c.name !== 't' && c.name !== 'T') continue;
    if (c.text === '') c.jump = cmds.length;
    else {
      const at = cmds.findIndex((x) => x.name === ':' && x.text === c.text);
      if (at < 0) throw new SedError(`can't find label for jump to \`${c.text}'`);
      c.jump = at;
    }
  }
  return cmds;
}

/** A replacement as literal pieces and group numbers (0 for `&`). */
function replacement(r: string): (string | number)[] {
  const out: (string | number)[] = [];
  let lit = '';
  for (let i = 0; i < r.length; i++) {
    const c = r[i]!;
    if (c === '\\' && i + 1 < r.length) {
      const n = r[++i]!;
      if (/\d/.test(n)) {
        out.push(lit, Number(n));
        lit = '';
      } else lit += n === 'n' ? '\n' : n === 't' ? '\t' : n;
    } else if (c === '&') {
      out.push(lit, 0);
      lit = '';
    } else lit += c;
  }
  out.push(lit);
  return out;
}

/** What running a script over one stream gave: its output, and the status of a q/Q that stopped it. */
interface RunResult {
  out: string;
  quit?: number;
  exhausted: boolean;
}

/** Runs CMDS over INPUT (its lines; the last line is `$`), line numbers counting on from FIRSTLINE. */
function runScript(cmds: Cmd[], input: string[], quiet: boolean, budget: RegexBudget, state: { line: number; steps: number }): RunResult {
  let out = '';
  let hold = '';
  let idx = 0;
  const isLast = (): boolean => idx >= input.length;
  const matchOne = (a: Addr, ps: string): boolean => {
    switch (a.kind) {
      case 'line':
        return state.line === a.n;
      case 'last':
        return isLast();
      case 're':
        return a.re.test(ps);
      case 'step':
        return a.step <= 0 ? state.line === a.first : state.line >= a.first && (state.line - a.first) % a.step === 0;
      case 'plus':
        return false;
    }
  };
  const selected = (c: Cmd, ps: string): boolean => {
    if (!c.a1) return true;
    if (!c.a2) return matchOne(c.a1, ps) !== c.negate;
    let hit = false;
    if (c.active) {
      hit = true;
      const a2 = c.a2;
      if (a2.kind === 're' ? a2.re.test(ps) : a2.kind === 'last' ? isLast() : a2.kind === 'step' ? state.line % a2.step === 0 : state.line >= c.endLine) c.active = false;
    } else if (c.a1.kind === 'line' && c.a1.n === 0 ? state.line === 1 || false : matchOne(c.a1, ps)) {
      hit = true;
      const a2 = c.a2;
      if (c.a1.kind === 'line' && c.a1.n === 0 && a2.kind === 're' && a2.re.test(ps)) c.active = false;
      else if (a2.kind === 'line') {
        c.endLine = a2.n;
        c.active = a2.n > state.line;
      } else if (a2.kind === 'plus') {
        c.endLine = state.line + a2.n;
        c.active = a2.n > 0;
      } else if (a2.kind === 'step') c.active = a2.step > 0 && state.line % a2.step !== 0;
      else c.active = !(a2.kind === 'last' && isLast());
    }
    return hit !== c.negate;
  };
  while (idx < input.length) {
    let ps = input[idx++]!;
    state.line++;
    let append = '';
    let deleted = false;
    let substituted = false;
    let pc = 0;
    let quit: number | undefined;
    let quitPrint = true;
    while (pc < cmds.length) {
      if (++state.steps > MAX_SED_STEPS || budget.exhausted) return { out, exhausted: true };
      const c = cmds[pc]!;
      if (c.name === '}' || c.name === ':') {
        pc++;
        continue;
      }
      if (!selected(c, ps)) {
        pc = c.name === '{' ? c.jump : pc + 1;
        continue;
      }
      pc++;
      switch (c.name) {
        case 's': {
          let did = false;
          ps = c.re!.replaceEach(ps, c.global! || c.nth! > 1, (g, nth) => {
            if (nth < c.nth! || (!c.global && nth > c.nth!)) return undefined;
            did = true;
            return c.repl!.map((p) => (typeof p === 'number' ? (g[p] ?? '') : p)).join('');
          });
          if (did) {
            substituted = true;
            if (c.print) out += `${ps}\n`;
          }
          break;
        }
        case 'y':
          ps = [...ps].map((ch) => {
            const k = c.from!.indexOf(ch);
            return k < 0 ? ch : c.to![k]!;
          }).join('');
          break;
        case 'p':
          out += `${ps}\n`;
          break;
        case 'P':
          out += `${ps.split('\n')[0]}\n`;
          break;
        case '=':
          out += `${state.line}\n`;
          break;
        case 'l':
          out += `${ps.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n')}$\n`;
          break;
        case 'a':
          append += `${c.text}\n`;
          break;
        case 'i':
          out += `${c.text}\n`;
          break;
        case 'c':
          // A range is changed as a whole: its text once, at its end.
          if (!c.a2 || !c.active) out += `${c.text}\n`;
          deleted = true;
          pc = cmds.length;
          break;
        case 'd':
        case 'D':
          deleted = true;
          pc = cmds.length;
          break;
        case 'q':
          quit = c.exit;
          pc = cmds.length;
          break;
        case 'Q':
          quit = c.exit;
          quitPrint = false;
          pc = cmds.length;
          break;
        case 'n':
          if (isLast()) {
            pc = cmds.length;
            break;
          }
          if (!quiet) out += `${ps}\n`;
          ps = input[idx++]!;
          state.line++;
          break;
        case 'N':
          if (isLast()) {
            // GNU prints the pattern space when N finds no next line.
            pc = cmds.length;
            break;
          }
          ps += `\n${input[idx++]!}`;
          state.line++;
          break;
        case 'h':
          hold = ps;
          break;
        case 'H':
          hold += `\n${ps}`;
          break;
        case 'g':
          ps = hold;
          break;
        case 'G':
          ps += `\n${hold}`;
          break;
        case 'x':
          [ps, hold] = [hold, ps];
          break;
        case 'z':
          ps = '';
          break;
        case 'b':
          pc = c.jump;
          break;
        case 't':
        case 'T':
          if (substituted === (c.name === 't')) pc = c.jump;
          substituted = false;
          break;
      }
    }
    if (!deleted && !quiet && quitPrint) out += `${ps}\n`;
    out += append;
    if (quit !== undefined) return { out, quit, exhausted: false };
  }
  return { out, exhausted: false };
}

export const sed: CommandDef = {
  names: ['sed'],
  run(ctx) {
    let quiet = false;
    let inPlace = false;
    let extended = false;
    let separate = false;
    const scripts: string[] = [];
    const files: string[] = [];
    const args = ctx.args;
    // With -e or -f anywhere, every operand is a file (GNU permutes its arguments).
    const scriptOption = args.some((x) => /^-[^-]*[ef]/.test(x) || x.startsWith('--expression') || x.startsWith('--file'));
    const bad = (msg: string): number => {
      ctx.err(`sed: ${msg}\nUsage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n\n`);
      return 1;
    };
    const scriptFile = (f: string): boolean => {
      const d = ctx.sh.vfs.readFile(ctx.sh.resolve(f));
      if (typeof d === 'string') {
        ctx.err(`sed: couldn't open file ${f}: ${FS_ERROR_TEXT[d]}\n`);
        return false;
      }
      scripts.push(d.toString('utf8').replace(/\n$/, ''));
      return true;
    };
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--') {
        files.push(...args.slice(i + 1));
        break;
      }
      if (a.startsWith('--')) {
        const [name, value] = a.includes('=') ? [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a.slice(2), undefined];
        if (name === 'quiet' || name === 'silent') quiet = true;
        else if (name === 'in-place') inPlace = true;
        else if (name === 'regexp-extended') extended = true;
        else if (name === 'separate') separate = true;
        else if (name === 'expression') scripts.push(value ?? args[++i] ?? '');
        else if (name === 'file') {
          if (!scriptFile(value ?? args[++i] ?? '')) return 1;
        } else if (name === 'posix' || name === 'unbuffered' || name === 'debug' || name === 'sandbox' || name === 'follow-symlinks') continue;
        else return bad(`unrecognized option '${a}'`);
        continue;
      }
      if (a.startsWith('-') && a.length > 1) {
        for (let j = 1; j < a.length; j++) {
          const c = a[j]!;
          if (c === 'n') quiet = true;
          else if (c === 'r' || c === 'E') extended = true;
          else if (c === 's' || c === 'u' || c === 'z') separate ||= c === 's';
          else if (c === 'i') {
            inPlace = true;
            break; // the rest is the backup suffix
          } else if (c === 'e' || c === 'f') {
            const v = a.slice(j + 1) || args[++i];
            if (v === undefined) return bad(`option requires an argument -- '${c}'`);
            if (c === 'e') scripts.push(v);
            else if (!scriptFile(v)) return 1;
            break;
          } else return bad(`invalid option -- '${c}'`);
        }
        continue;
      }
      if (!scriptOption && scripts.length === 0) scripts.push(a);
      else files.push(a);
    }
    if (!scripts.length) {
      ctx.err('Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n\n');
      return 1;
    }
    const script = scripts.join('\n');
    if (script.length > MAX_SED_SCRIPT_CHARS) {
      ctx.err('sed: -e expression #1: Regular expression too big\n');
      return 1;
    }
    const budget = new RegexBudget();
    let cmds: Cmd[];
    try {
      cmds = parseScript(script, extended, budget);
    } catch (e) {
      if (!(e instanceof SedError)) throw e;
      ctx.err(e.char === undefined ? `sed: -e expression #1: ${e.message}\n` : `sed: -e expression #1, char ${e.char}: ${e.message}\n`);
      return 1;
    }
    // Past the step or matching budget GNU sed's own allocator failure is the closest real answer.
    const exhausted = (): number => {
      ctx.err("sed: couldn't re-allocate memory\n");
      return 4;
    };
    const state = { line: 0, steps: 0 };
    // -i (and -s) treats each file as a stream of its own; otherwise the files are one stream.
    const streams: { name: string; path?: string; text: string }[] = [];
    let status = 0;
    for (const f of files.length ? files : ['-']) {
      if (f === '-' && !inPlace) {
        streams.push({ name: '-', text: ctx.stdin.toString('utf8') });
        continue;
      }
      const path = ctx.sh.resolve(f);
      const d = ctx.sh.vfs.readFile(path);
      if (typeof d === 'string') {
        ctx.err(d === 'EISDIR' ? `sed: couldn't edit ${f}: not a regular file\n` : `sed: can't read ${f}: ${FS_ERROR_TEXT[d]}\n`);
        status = d === 'EISDIR' && inPlace ? 4 : 2;
        continue;
      }
      streams.push({ name: f, path, text: d.toString('utf8') });
    }
    const groups = inPlace || separate ? streams.map((s) => [s]) : [streams];
    for (const g of groups) {
      if (g.length === 0) continue;
      if (inPlace || separate) state.line = 0;
      const r = runScript(cmds, g.flatMap((s) => lines(s.text)), quiet, budget, state);
      if (r.exhausted) {
        if (!inPlace) ctx.out(r.out);
        return exhausted();
      }
      const target = g[0]!;
      if (inPlace && target.path) {
        const e = ctx.sh.vfs.writeFile(target.path, Buffer.from(r.out));
        if (e) {
          ctx.err(`sed: couldn't open temporary file ${target.name}: ${FS_ERROR_TEXT[e]}\n`);
          status = 4;
        }
      } else ctx.out(r.out);
      if (r.quit !== undefined) return r.quit;
    }
    return status;
  },
};
