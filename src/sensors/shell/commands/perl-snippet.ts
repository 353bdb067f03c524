// What `perl -e CODE` (or a script) prints when CODE is made of simple statements the fake shell can
// follow without running anything: print/say of literals, interpolated strings, arithmetic, `.` and
// `x`, scalar assignments, `use` of modules Debian 12's perl ships, system() (run by the fake shell).
// Past the first statement it cannot follow (a socket, a loop) it goes quiet, as a program that
// connects out would; an unterminated string or a missing module fails as perl 5.36 reports it.
import { MAX_SNIPPET_CHARS, MAX_SNIPPET_STRING, type SnippetHost } from './python-snippet.js';

type Tok = { k: 'str'; parts: (string | { v: string })[] } | { k: 'num'; v: number } | { k: 'var'; v: string } | { k: 'word'; v: string } | { k: 'op'; v: string };
type Value = string | number;

class Opaque extends Error {}
class Exit extends Error {
  constructor(readonly status: number) {
    super('exit');
  }
}

/** Modules perl-base and perl-modules-5.36 install (libwww-perl's LWP is not among them). */
const MODULES = new Set(['strict', 'warnings', 'utf8', 'feature', 'vars', 'lib', 'integer', 'bytes', 'constant', 'English', 'Socket', 'IO::Socket', 'IO::Socket::INET', 'IO::Handle', 'IO::File', 'IO::Select', 'POSIX', 'Fcntl', 'Errno', 'Carp', 'Exporter', 'Cwd', 'File::Basename', 'File::Path', 'File::Temp', 'File::Copy', 'File::Spec', 'Getopt::Long', 'Getopt::Std', 'Sys::Hostname', 'MIME::Base64', 'Digest::MD5', 'Digest::SHA', 'Time::HiRes', 'Time::Local', 'Data::Dumper', 'HTTP::Tiny', 'Net::Ping', 'Storable', 'Encode', 'List::Util', 'Scalar::Util', 'Term::ANSIColor', 'threads', 'Config']);
const INC = '/etc/perl /usr/local/lib/x86_64-linux-gnu/perl/5.36.0 /usr/local/share/perl/5.36.0 /usr/lib/x86_64-linux-gnu/perl5/5.36 /usr/share/perl5 /usr/lib/x86_64-linux-gnu/perl-base /usr/lib/x86_64-linux-gnu/perl/5.36 /usr/share/perl/5.36 /usr/local/lib/site_perl';

const ESC: Record<string, string> = { n: '\n', t: '\t', r: '\r', e: '\x1b', a: '\x07', '0': '\0', f: '\f' };

/** Perl's number to string: integers as they are, others as %.15g. */
export function perlNum(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 15) return v.toExponential(14).replace(/\.?0+e/, 'e').replace(/e([+-])(\d)$/, 'e$10$2');
  return v.toFixed(Math.max(0, 14 - exp)).replace(/\.?0+$/, '');
}

const toStr = (v: Value): string => (typeof v === 'number' ? perlNum(v) : v);
const toNum = (v: Value): number => (typeof v === 'number' ? v : Number(/^\s*[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+)/.exec(v)?.[0] ?? 0));

/** Tokens of CODE; a message for a string with no end, as perl says it. */
function tokenize(code: string): Tok[] | string {
  const toks: Tok[] = [];
  let i = 0;
  while (i < code.length) {
    const c = code[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < code.length && code[i] !== '\n') i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const parts: (string | { v: string })[] = [];
      let s = '';
      i++;
      for (;;) {
        if (i >= code.length) return `Can't find string terminator ${c === '"' ? "'\"'" : '"\'"'} anywhere before EOF at -e line 1.\n`;
        const ch = code[i++]!;
        if (ch === c) break;
        if (ch === '\\') {
          const n = code[i++] ?? '';
          s += c === "'" ? (n === '\\' || n === "'" ? n : `\\${n}`) : (ESC[n] ?? n);
        } else if (ch === '$' && c === '"' && /[A-Za-z_{]/.test(code[i] ?? '')) {
          const m = /^\{?([A-Za-z_]\w*)\}?/.exec(code.slice(i))!;
          parts.push(s, { v: m[1]! });
          s = '';
          i += m[0].length;
        } else if (ch === '@' && c === '"' && /[A-Za-z_]/.test(code[i] ?? '')) {
          // Arrays are all empty here: "@name" interpolates nothing, as under perl without strict.
          i += /^\w+/.exec(code.slice(i))![0].length;
        } else s += ch;
      }
      parts.push(s);
      toks.push({ k: 'str', parts });
      continue;
    }
    const rest = code.slice(i);
    const m = /^(\d+(\.\d+)?([eE][-+]?\d+)?)/.exec(rest) ?? /^\$([A-Za-z_]\w*)/.exec(rest) ?? /^([A-Za-z_][\w:]*)/.exec(rest) ?? /^(\*\*|==|!=|[-+*/%.,;=()x])/.exec(rest);
    if (!m) {
      // Something the emulation does not read (->, {, [): a token that stops the statement it is in.
      toks.push({ k: 'op', v: c });
      i++;
      continue;
    }
    if (/^\d/.test(m[0])) toks.push({ k: 'num', v: Number(m[0]) });
    else if (m[0].startsWith('$')) toks.push({ k: 'var', v: m[1]! });
    else if (/^[A-Za-z_]/.test(m[0])) toks.push({ k: 'word', v: m[0] });
    else toks.push({ k: 'op', v: m[0] });
    i += m[0].length;
  }
  return toks;
}

class Interp {
  private toks: Tok[] = [];
  private i = 0;
  private readonly vars = new Map<string, Value>();
  constructor(
    private readonly host: SnippetHost,
    private readonly say: boolean,
    private readonly err: (s: string) => void,
  ) {}

  private is(k: Tok['k'], v?: string): boolean {
    const t = this.toks[this.i];
    return t !== undefined && t.k === k && (v === undefined || ('v' in t && t.v === v));
  }
  private take(k: Tok['k'], v: string): boolean {
    if (this.is(k, v)) {
      this.i++;
      return true;
    }
    return false;
  }

  async statement(toks: Tok[]): Promise<void> {
    this.toks = toks;
    this.i = 0;
    if (!toks.length) return;
    if (this.take('word', 'my')) {
      if (!this.is('var')) throw new Opaque();
    }
    if (this.is('var') && this.toks[this.i + 1]?.k === 'op' && (this.toks[this.i + 1] as { v: string }).v === '=') {
      const name = (this.toks[this.i] as { v: string }).v;
      this.i += 2;
      this.vars.set(name, await this.expr());
    } else if (this.take('word', 'print') || (this.say && this.take('word', 'say'))) {
      const sayIt = (this.toks[this.i - 1] as { v: string }).v === 'say';
      const paren = this.take('op', '(');
      let to = this.host.out;
      if (this.take('word', 'STDERR')) to = this.err;
      else this.take('word', 'STDOUT');
      const vals: Value[] = [];
      while (this.i < this.toks.length && !this.is('op', ')')) {
        vals.push(await this.expr());
        if (!this.take('op', ',')) break;
      }
      if (paren && !this.take('op', ')')) throw new Opaque();
      to(vals.map(toStr).join('') + (sayIt ? '\n' : ''));
    } else if (this.take('word', 'exit')) {
      throw new Exit(this.i < this.toks.length ? toNum(await this.expr()) & 255 : 0);
    } else if (this.take('word', 'system')) {
      const paren = this.take('op', '(');
      const cmd = await this.expr();
      if (paren && !this.take('op', ')')) throw new Opaque();
      await this.host.system(toStr(cmd));
    } else throw new Opaque();
    if (this.i < this.toks.length) throw new Opaque();
  }

  private async expr(): Promise<Value> {
    let v = await this.term();
    while (this.is('op', '+') || this.is('op', '-') || this.is('op', '.')) {
      const op = (this.toks[this.i++] as { v: string }).v;
      const r = await this.term();
      v = op === '.' ? cap(toStr(v) + toStr(r)) : op === '+' ? toNum(v) + toNum(r) : toNum(v) - toNum(r);
    }
    return v;
  }

  private async term(): Promise<Value> {
    let v = await this.unary();
    while (this.is('op', '*') || this.is('op', '/') || this.is('op', '%') || this.is('op', 'x') || this.is('word', 'x')) {
      const op = (this.toks[this.i++] as { v: string }).v;
      const r = await this.unary();
      if (op === 'x') {
        const n = Math.max(0, Math.trunc(toNum(r)));
        if (toStr(v).length * n > MAX_SNIPPET_STRING) throw new Opaque();
        v = toStr(v).repeat(n);
      } else if ((op === '/' || op === '%') && toNum(r) === 0) {
        throw new PerlDie(`Illegal ${op === '/' ? 'division' : 'modulus'} by zero at -e line 1.\n`);
      } else v = op === '*' ? toNum(v) * toNum(r) : op === '/' ? toNum(v) / toNum(r) : Math.trunc(toNum(v)) % Math.trunc(toNum(r));
    }
    return v;
  }

  private async unary(): Promise<Value> {
    if (this.take('op', '-')) return -toNum(await this.unary());
    const t = this.toks[this.i++];
    let v: Value;
    if (!t) throw new Opaque();
    if (t.k === 'num') v = t.v;
    else if (t.k === 'str') v = cap(t.parts.map((p) => (typeof p === 'string' ? p : toStr(this.vars.get(p.v) ?? ''))).join(''));
    else if (t.k === 'var') v = this.vars.get(t.v) ?? '';
    else if (t.k === 'op' && t.v === '(') {
      v = await this.expr();
      if (!this.take('op', ')')) throw new Opaque();
    } else throw new Opaque();
    if (this.take('op', '**')) v = toNum(v) ** toNum(await this.unary());
    return v;
  }
}

class PerlDie extends Error {}

function cap(s: string): string {
  if (s.length > MAX_SNIPPET_STRING) throw new Opaque();
  return s;
}

/** Splits tokens into statements at `;`. */
function split(toks: Tok[]): Tok[][] {
  const out: Tok[][] = [[]];
  for (const t of toks) {
    if (t.k === 'op' && t.v === ';') out.push([]);
    else out[out.length - 1]!.push(t);
  }
  return out.filter((s) => s.length);
}

/** Runs CODE as `perl -e` would (SAY: -E, so `say` is on); the exit status. */
export async function runPerl(code: string, say: boolean, host: SnippetHost, err: (s: string) => void): Promise<number> {
  if (code.length > MAX_SNIPPET_CHARS) return 0;
  const toks = tokenize(code);
  if (typeof toks === 'string') {
    err(toks);
    return 255;
  }
  const program = split(toks);
  // `use` happens at compile time: a missing module stops the program before anything runs.
  let sayOn = say;
  for (const st of program) {
    const [w, mod] = st;
    if (w?.k !== 'word' || (w.v !== 'use' && w.v !== 'no') || !mod) continue;
    if (mod.k === 'num' || (mod.k === 'word' && /^v?5/.test(mod.v))) sayOn = true;
    else if (mod.k === 'word' && mod.v === 'feature') sayOn = true;
    else if (mod.k === 'word' && !MODULES.has(mod.v)) {
      err(`Can't locate ${mod.v.replace(/::/g, '/')}.pm in @INC (you may need to install the ${mod.v} module) (@INC contains: ${INC}) at -e line 1.\nBEGIN failed--compilation aborted at -e line 1.\n`);
      return 2;
    }
  }
  const it = new Interp(host, sayOn, err);
  for (const st of program) {
    if (st[0]?.k === 'word' && (st[0].v === 'use' || st[0].v === 'no')) continue;
    try {
      await it.statement(st);
    } catch (e) {
      if (e instanceof Opaque) return 0;
      if (e instanceof Exit) return e.status;
      if (e instanceof PerlDie) {
        err(e.message);
        return 255;
      }
      throw e;
    }
  }
  return 0;
}
