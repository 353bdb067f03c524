// The command-line parser: a hand-written recursive-descent parser for the part of POSIX sh / bash
// that attackers type: words with quotes and escapes, $VAR/${VAR:-x}, $(...), backticks, $((...)),
// pipes, ; & && ||, redirections (> >> < 2>&1 &> <<EOF <<<), ! , { }, ( ), if/elif/else, for, while/until.
// It never throws: it returns ok, incomplete (needs another line: open quote, trailing |, if without
// fi) or malformed (a syntax error, or input over one of the caps below).

/** Longest input parsed at once (Cowrie's max_input_size is the same 16 KiB). */
export const MAX_INPUT_CHARS = 16 * 1024;
/** Deepest nesting of $(...), backticks, groups and compound commands. */
export const MAX_NESTING = 24;
/** Most words + commands in one parse, so a line cannot build a huge tree. */
export const MAX_NODES = 8192;

export type WordPart =
  | { t: 'lit'; v: string; q: boolean }
  | { t: 'var'; name: string; q: boolean; op?: ':-' | '-' | ':=' | '=' | ':+' | '+' | '#'; arg?: Word }
  | { t: 'sub'; list: List; q: boolean }
  | { t: 'arith'; expr: string; q: boolean };
export interface Word {
  parts: WordPart[];
}
export type RedirOp = '>' | '>>' | '<' | '>&' | '<&' | '&>' | '&>>' | '<<' | '<<<' | '>|' | '<>';
export interface Redir {
  fd: number;
  op: RedirOp;
  target: Word;
  /** For <<: the document body (after the line). */
  heredoc?: string;
  /** For <<: expand $ in the body (unquoted delimiter). */
  heredocExpand?: boolean;
}
export interface SimpleCommand {
  kind: 'simple';
  assigns: { name: string; value: Word }[];
  words: Word[];
  redirs: Redir[];
}
export interface IfCommand {
  kind: 'if';
  branches: { cond: List; body: List }[];
  orelse?: List;
  redirs: Redir[];
}
export interface ForCommand {
  kind: 'for';
  name: string;
  items: Word[] | null;
  body: List;
  redirs: Redir[];
}
export interface WhileCommand {
  kind: 'while';
  until: boolean;
  cond: List;
  body: List;
  redirs: Redir[];
}
export interface GroupCommand {
  kind: 'group';
  subshell: boolean;
  body: List;
  redirs: Redir[];
}
export interface FunctionDef {
  kind: 'function';
  name: string;
  body: Command;
  redirs: Redir[];
}
export type Command = SimpleCommand | IfCommand | ForCommand | WhileCommand | GroupCommand | FunctionDef;
export interface Pipeline {
  negate: boolean;
  cmds: Command[];
}
export interface AndOr {
  first: Pipeline;
  rest: { op: '&&' | '||'; p: Pipeline }[];
}
export interface List {
  items: { cmd: AndOr; bg: boolean }[];
}

export type ParseResult = { status: 'ok'; list: List } | { status: 'incomplete'; reason: string } | { status: 'malformed'; reason: string };

class Stop {
  constructor(
    readonly kind: 'incomplete' | 'malformed',
    readonly reason: string,
  ) {}
}

const RESERVED = new Set(['if', 'then', 'elif', 'else', 'fi', 'for', 'in', 'do', 'done', 'while', 'until', '{', '}', '!', 'case', 'esac', 'function']);
const TERMINATORS = new Set(['then', 'elif', 'else', 'fi', 'do', 'done', '}']);
const META = new Set([' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')']);
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Budget {
  nodes: number;
}

class Parser {
  i = 0;
  private pendingHeredocs: Redir[] = [];
  constructor(
    private readonly s: string,
    private readonly depth: number,
    private readonly budget: Budget,
  ) {}

  private node(): void {
    if (++this.budget.nodes > MAX_NODES) throw new Stop('malformed', 'input too complex');
  }

  private enter<T>(fn: () => T, depthAdd = 1): T {
    if (this.depth + this.nesting + depthAdd > MAX_NESTING) throw new Stop('malformed', 'nesting too deep');
    this.nesting += depthAdd;
    try {
      return fn();
    } finally {
      this.nesting -= depthAdd;
    }
  }
  private nesting = 0;

  private get ch(): string | undefined {
    return this.s[this.i];
  }

  private skipBlanks(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\r') this.i++;
      else if (c === '\\' && this.s[this.i + 1] === '\n') this.i += 2;
      else if (c === '#' ) {
        while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
      } else return;
    }
  }

  private skipNewlines(): void {
    for (;;) {
      this.skipBlanks();
      if (this.ch === '\n') {
        this.i++;
        this.readHeredocs();
      } else return;
    }
  }

  private readHeredocs(): void {
    const pending = this.pendingHeredocs;
    this.pendingHeredocs = [];
    for (const r of pending) {
      const delim = wordLiteral(r.target) ?? '';
      const strip = r.op === '<<' && (r as Redir & { strip?: boolean }).strip;
      const lines: string[] = [];
      for (;;) {
        if (this.i >= this.s.length) throw new Stop('incomplete', `here-document delimited by ${delim}`);
        const nl = this.s.indexOf('\n', this.i);
        const end = nl < 0 ? this.s.length : nl;
        let line = this.s.slice(this.i, end);
        this.i = nl < 0 ? end : end + 1;
        if (strip) line = line.replace(/^\t+/, '');
        if (line === delim) break;
        if (nl < 0) throw new Stop('incomplete', `here-document delimited by ${delim}`);
        lines.push(line);
      }
      r.heredoc = lines.length ? `${lines.join('\n')}\n` : '';
    }
  }

  /** Reads the next word without consuming it, when it is an unquoted literal. */
  private peekLiteral(): string | undefined {
    const save = this.i;
    this.skipBlanks();
    const c = this.ch;
    if (c === undefined || META.has(c)) {
      this.i = save;
      return undefined;
    }
    let j = this.i;
    while (j < this.s.length && !META.has(this.s[j]!) && !`'"\\$\``.includes(this.s[j]!)) j++;
    const end = j >= this.s.length || META.has(this.s[j]!);
    const text = this.s.slice(this.i, j);
    this.i = save;
    return end ? text : undefined;
  }

  private expectKeyword(k: string): void {
    const w = this.peekLiteral();
    if (w !== k) {
      if (this.atEnd()) throw new Stop('incomplete', `expected ${k}`);
      throw new Stop('malformed', `syntax error near unexpected token \`${this.tokenHere()}'`);
    }
    this.skipBlanks();
    this.i += k.length;
  }

  private atEnd(): boolean {
    const save = this.i;
    this.skipBlanks();
    const end = this.i >= this.s.length;
    this.i = save;
    return end;
  }

  private tokenHere(): string {
    this.skipBlanks();
    const c = this.ch;
    if (c === undefined) return 'newline';
    if (c === '\n') return 'newline';
    const two = this.s.slice(this.i, this.i + 2);
    if (['&&', '||', ';;', '>>', '<<'].includes(two)) return two;
    if (META.has(c)) return c;
    return this.peekLiteral() ?? c;
  }

  parseProgram(): List {
    const list = this.parseList(true);
    this.skipNewlines();
    if (this.i < this.s.length) throw new Stop('malformed', `syntax error near unexpected token \`${this.tokenHere()}'`);
    if (this.pendingHeredocs.length) throw new Stop('incomplete', 'here-document');
    return list;
  }

  /** A sequence of and-or lists up to a terminator keyword, `)` or the end. */
  private parseList(top = false): List {
    const items: List['items'] = [];
    for (;;) {
      this.skipNewlines();
      if (this.i >= this.s.length) break;
      const c = this.ch;
      if (c === ')') break;
      const kw = this.peekLiteral();
      if (kw !== undefined && TERMINATORS.has(kw)) break;
      if (c === ';' || c === '&' || c === '|') throw new Stop('malformed', `syntax error near unexpected token \`${this.tokenHere()}'`);
      const cmd = this.parseAndOr();
      let bg = false;
      this.skipBlanks();
      if (this.ch === '&' && this.s[this.i + 1] !== '&') {
        bg = true;
        this.i++;
      } else if (this.ch === ';' && this.s[this.i + 1] !== ';') {
        this.i++;
      } else if (this.ch === '\n') {
        // handled by skipNewlines
      } else if (this.i < this.s.length && this.ch !== ')' && !TERMINATORS.has(this.peekLiteral() ?? '')) {
        throw new Stop('malformed', `syntax error near unexpected token \`${this.tokenHere()}'`);
      }
      items.push({ cmd, bg });
    }
    if (items.length === 0 && !top) {
      if (this.i >= this.s.length) throw new Stop('incomplete', 'empty list');
      throw new Stop('malformed', `syntax error near unexpected token \`${this.tokenHere()}'`);
    }
    return { items };
  }

  private parseAndOr(): AndOr {
    const first = this.parsePipeline();
    const rest: AndOr['rest'] = [];
    for (;;) {
      this.skipBlanks();
      const two = this.s.slice(this.i, this.i + 2);
      if (two !== '&&' && two !== '||') break;
      this.i += 2;
      this.skipNewlines();
      if (this.i >= this.s.length) throw new Stop('incomplete', `after ${two}`);
      rest.push({ op: two, p: this.parsePipeline() });
    }
    return { first, rest };
  }

  private parsePipeline(): Pipeline {
    let negate = false;
    if (this.peekLiteral() === '!') {
      this.skipBlanks();
      this.i++;
      negate = true;
    }
    const cmds = [this.parseCommand()];
    for (;;) {
      this.skipBlanks();
      if (this.ch !== '|' || this.s[this.i + 1] === '|') break;
      this.i += this.s[this.i + 1] === '&' ? 2 : 1;
      this.skipNewlines();
      if (this.i >= this.s.length) throw new Stop('incomplete', 'after |');
      cmds.push(this.parseCommand());
    }
    return { negate, cmds };
  }

  private parseCommand(): Command {
    this.node();
    this.skipBlanks();
    if (this.ch === '(') {
      this.i++;
      const body = this.enter(() => this.parseList());
      this.skipNewlines();
      if ((this.ch as string | undefined) !== ')') throw this.atEnd() ? new Stop('incomplete', 'expected )') : new Stop('malformed', `syntax error near unexpected token \`${this.tokenHere()}'`);
      this.i++;
      return { kind: 'group', subshell: true, body, redirs: this.parseTrailingRedirs() };
    }
    const kw = this.peekLiteral();
    switch (kw) {
      case '{': {
        this.expectKeyword('{');
        const body = this.enter(() => this.parseList());
        this.expectKeyword('}');
        return { kind: 'group', subshell: false, body, redirs: this.parseTrailingRedirs() };
      }
      case 'if':
        return this.enter(() => this.parseIf());
      case 'for':
        return this.enter(() => this.parseFor());
      case 'while':
      case 'until': {
        this.expectKeyword(kw);
        const cond = this.enter(() => this.parseList());
        this.expectKeyword('do');
        const body = this.enter(() => this.parseList());
        this.expectKeyword('done');
        return { kind: 'while', until: kw === 'until', cond, body, redirs: this.parseTrailingRedirs() };
      }
      case 'function': {
        this.expectKeyword('function');
        this.skipBlanks();
        const name = this.peekLiteral();
        if (!name || !NAME_RE.test(name.replace(/\(\)$/, ''))) throw new Stop('malformed', "syntax error near unexpected token `newline'");
        this.i += name.length;
        this.skipBlanks();
        if (this.s.startsWith('()', this.i)) this.i += 2;
        this.skipNewlines();
        const body = this.parseCommand();
        return { kind: 'function', name: name.replace(/\(\)$/, ''), body, redirs: [] };
      }
      case 'case':
      case 'esac':
        throw new Stop('malformed', `syntax error near unexpected token \`${kw}'`);
      case 'then':
      case 'elif':
      case 'else':
      case 'fi':
      case 'do':
      case 'done':
      case '}':
      case 'in':
        throw new Stop('malformed', `syntax error near unexpected token \`${kw}'`);
    }
    return this.parseSimple();
  }

  private parseIf(): IfCommand {
    this.expectKeyword('if');
    const branches: IfCommand['branches'] = [];
    let cond = this.parseList();
    this.expectKeyword('then');
    let body = this.parseList();
    branches.push({ cond, body });
    let orelse: List | undefined;
    for (;;) {
      const kw = this.peekLiteral();
      if (kw === 'elif') {
        this.expectKeyword('elif');
        cond = this.parseList();
        this.expectKeyword('then');
        body = this.parseList();
        branches.push({ cond, body });
        continue;
      }
      if (kw === 'else') {
        this.expectKeyword('else');
        orelse = this.parseList();
      }
      break;
    }
    this.expectKeyword('fi');
    return { kind: 'if', branches, ...(orelse ? { orelse } : {}), redirs: this.parseTrailingRedirs() };
  }

  private parseFor(): ForCommand {
    this.expectKeyword('for');
    this.skipBlanks();
    const name = this.peekLiteral();
    if (name === undefined) throw this.atEnd() ? new Stop('incomplete', 'for') : new Stop('malformed', `syntax error near unexpected token \`${this.tokenHere()}'`);
    if (!NAME_RE.test(name)) throw new Stop('malformed', `\`${name}': not a valid identifier`);
    this.i += name.length;
    let items: Word[] | null = null;
    this.skipBlanks();
    if (this.ch === ';') this.i++;
    this.skipNewlines();
    if (this.peekLiteral() === 'in') {
      this.expectKeyword('in');
      items = [];
      for (;;) {
        this.skipBlanks();
        const c = this.ch;
        if (c === undefined) throw new Stop('incomplete', 'for');
        if (c === ';' || c === '\n') {
          this.i++;
          break;
        }
        if (META.has(c)) throw new Stop('malformed', `syntax error near unexpected token \`${this.tokenHere()}'`);
        items.push(this.readWord());
      }
    }
    this.skipNewlines();
    this.expectKeyword('do');
    const body = this.parseList();
    this.expectKeyword('done');
    return { kind: 'for', name, items, body, redirs: this.parseTrailingRedirs() };
  }

  private parseTrailingRedirs(): Redir[] {
    const redirs: Redir[] = [];
    for (;;) {
      this.skipBlanks();
      const r = this.tryRedir();
      if (!r) return redirs;
      redirs.push(r);
    }
  }

  private tryRedir(): Redir | undefined {
    const c0 = this.s.charCodeAt(this.i);
    // Only "<", ">", "&" or a digit can start a redirection: skip the regex for everything else.
    if (c0 !== 60 && c0 !== 62 && c0 !== 38 && !(c0 >= 48 && c0 <= 57)) return undefined;
    const m = /^(\d{1,2})?(&>>|&>|>>|>&|>\||<<<|<<-|<<|<&|<>|>|<)/.exec(this.s.slice(this.i, this.i + 6));
    if (!m) return undefined;
    if (m[2] === '&>' || m[2] === '&>>') {
      if (m[1]) return undefined;
    }
    this.i += m[0].length;
    let op = m[2] as RedirOp | '<<-';
    const strip = op === '<<-';
    if (op === '<<-') op = '<<';
    const fd = m[1] !== undefined ? Number(m[1]) : op.startsWith('<') ? 0 : 1;
    this.skipBlanks();
    const c = this.ch;
    if (c === undefined || c === '\n') throw c === undefined && false ? new Stop('incomplete', 'redirect') : new Stop('malformed', "syntax error near unexpected token `newline'");
    if (META.has(c)) throw new Stop('malformed', `syntax error near unexpected token \`${this.tokenHere()}'`);
    const target = this.readWord();
    const r: Redir & { strip?: boolean } = { fd, op, target };
    if (op === '<<') {
      r.heredocExpand = target.parts.every((p) => p.t === 'lit' && !p.q);
      if (strip) r.strip = true;
      this.pendingHeredocs.push(r);
    }
    return r;
  }

  private parseSimple(): SimpleCommand {
    const cmd: SimpleCommand = { kind: 'simple', assigns: [], words: [], redirs: [] };
    for (;;) {
      this.skipBlanks();
      const c = this.ch;
      if (c === undefined || c === '\n' || c === ';' || c === '&' || c === '|' || c === ')') break;
      const r = this.tryRedir();
      if (r) {
        cmd.redirs.push(r);
        continue;
      }
      if (c === '(') {
        // name() { ...; } defines a function.
        const w = cmd.words.length === 1 && cmd.assigns.length === 0 ? wordLiteral(cmd.words[0]!) : undefined;
        if (w && NAME_RE.test(w) && this.s[this.i + 1] === ')') {
          this.i += 2;
          this.skipNewlines();
          if (this.i >= this.s.length) throw new Stop('incomplete', 'function body');
          const body = this.enter(() => this.parseCommand());
          return { kind: 'function', name: w, body, redirs: [] } as unknown as SimpleCommand;
        }
        throw new Stop('malformed', "syntax error near unexpected token `('");
      }
      if (c === '<' || c === '>') throw new Stop('malformed', `syntax error near unexpected token \`${c}'`);
      const start = this.i;
      const word = this.readWord();
      if (cmd.words.length === 0) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(this.s.slice(start, this.i));
        const first = word.parts[0];
        if (m && first && first.t === 'lit' && !first.q && first.v.startsWith(`${m[1]}=`)) {
          const value: Word = { parts: [{ ...first, v: first.v.slice(m[0].length) }, ...word.parts.slice(1)] };
          cmd.assigns.push({ name: m[1]!, value });
          continue;
        }
      }
      cmd.words.push(word);
    }
    if (cmd.words.length === 0 && cmd.assigns.length === 0 && cmd.redirs.length === 0) {
      if (this.i >= this.s.length) throw new Stop('incomplete', 'command');
      throw new Stop('malformed', `syntax error near unexpected token \`${this.tokenHere()}'`);
    }
    return cmd;
  }

  /** One shell word, up to an unquoted metacharacter. */
  readWord(): Word {
    this.node();
    const parts: WordPart[] = [];
    const lit = (v: string, q: boolean): void => {
      const last = parts[parts.length - 1];
      if (last && last.t === 'lit' && last.q === q) last.v += v;
      else parts.push({ t: 'lit', v, q });
    };
    for (;;) {
      const c = this.ch;
      if (c === undefined || META.has(c)) break;
      if (c === '\\') {
        const n = this.s[this.i + 1];
        if (n === undefined) {
          this.i++;
          break;
        }
        this.i += 2;
        if (n !== '\n') lit(n, true);
        continue;
      }
      if (c === "'") {
        const end = this.s.indexOf("'", this.i + 1);
        if (end < 0) throw new Stop('incomplete', "unexpected EOF while looking for matching `''");
        lit(this.s.slice(this.i + 1, end), true);
        this.i = end + 1;
        if (parts.length === 0) lit('', true);
        continue;
      }
      if (c === '"') {
        this.i++;
        let any = false;
        for (;;) {
          const d = this.ch;
          if (d === undefined) throw new Stop('incomplete', 'unexpected EOF while looking for matching `"\'');
          if (d === '"') {
            this.i++;
            break;
          }
          any = true;
          if (d === '\\') {
            const n = this.s[this.i + 1];
            if (n === undefined) throw new Stop('incomplete', 'unexpected EOF while looking for matching `"\'');
            this.i += 2;
            if (n === '\n') continue;
            lit('$`"\\'.includes(n) ? n : `\\${n}`, true);
            continue;
          }
          if (d === '$' || d === '`') {
            const part = this.readDollarOrBacktick(true);
            if (part) parts.push(part);
            continue;
          }
          lit(d, true);
          this.i++;
        }
        if (!any) lit('', true);
        continue;
      }
      if (c === '$' || c === '`') {
        if (c === '$' && this.s[this.i + 1] === "'") {
          lit(this.readAnsiC(), true);
          continue;
        }
        const part = this.readDollarOrBacktick(false);
        if (part) parts.push(part);
        continue;
      }
      lit(c, false);
      this.i++;
    }
    return { parts };
  }

  /** $'...' with C escapes. */
  private readAnsiC(): string {
    this.i += 2;
    let out = '';
    for (;;) {
      const c = this.ch;
      if (c === undefined) throw new Stop('incomplete', "unexpected EOF while looking for matching `''");
      this.i++;
      if (c === "'") return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const n = this.ch ?? '';
      this.i++;
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?' };
      if (simple[n] !== undefined) out += simple[n];
      else if (n === 'x') {
        const m = /^[0-9a-fA-F]{1,2}/.exec(this.s.slice(this.i, this.i + 2));
        if (m) {
          out += String.fromCharCode(parseInt(m[0], 16));
          this.i += m[0].length;
        } else out += '\\x';
      } else if (/[0-7]/.test(n)) {
        const m = /^[0-7]{0,2}/.exec(this.s.slice(this.i, this.i + 2))!;
        out += String.fromCharCode(parseInt(n + m[0], 8) & 0xff);
        this.i += m[0].length;
      } else out += `\\${n}`;
    }
  }

  private readDollarOrBacktick(q: boolean): WordPart | undefined {
    const c = this.ch;
    if (c === '`') {
      let j = this.i + 1;
      let inner = '';
      for (;;) {
        const d = this.s[j];
        if (d === undefined) throw new Stop('incomplete', 'unexpected EOF while looking for matching ``\'');
        if (d === '`') break;
        if (d === '\\' && j + 1 < this.s.length && '$`\\'.includes(this.s[j + 1]!)) {
          inner += this.s[j + 1];
          j += 2;
          continue;
        }
        inner += d;
        j++;
      }
      this.i = j + 1;
      const list = this.enter(() => subParse(inner, this.depth + this.nesting, this.budget));
      return { t: 'sub', list, q };
    }
    // $
    const n = this.s[this.i + 1];
    if (n === '(' && this.s[this.i + 2] === '(') {
      const end = findArithEnd(this.s, this.i + 3);
      if (end < 0) throw new Stop('incomplete', 'unexpected EOF while looking for matching `))\'');
      const expr = this.s.slice(this.i + 3, end);
      this.i = end + 2;
      return { t: 'arith', expr, q };
    }
    if (n === '(') {
      this.i += 2;
      const list = this.enter(() => this.parseList(true));
      this.skipNewlines();
      if (this.ch !== ')') throw this.i >= this.s.length ? new Stop('incomplete', 'unexpected EOF while looking for matching `)\'') : new Stop('malformed', `syntax error near unexpected token \`${this.tokenHere()}'`);
      this.i++;
      return { t: 'sub', list, q };
    }
    if (n === '{') {
      const close = this.s.indexOf('}', this.i + 2);
      if (close < 0) throw new Stop('incomplete', 'unexpected EOF while looking for matching `}\'');
      const body = this.s.slice(this.i + 2, close);
      this.i = close + 1;
      if (body.startsWith('#') && NAME_RE.test(body.slice(1))) return { t: 'var', name: body.slice(1), q, op: '#' };
      const m = /^([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?$#!@*-])(?:(:-|-|:=|=|:\+|\+)(.*))?$/s.exec(body);
      if (!m) throw new Stop('malformed', `\${${body}}: bad substitution`);
      const part: WordPart = { t: 'var', name: m[1]!, q };
      if (m[2]) {
        part.op = m[2] as ':-';
        part.arg = { parts: [{ t: 'lit', v: m[3] ?? '', q: true }] };
      }
      return part;
    }
    if (n !== undefined && /[?$#!@*0-9-]/.test(n)) {
      this.i += 2;
      return { t: 'var', name: n, q };
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i + 1, this.i + 257));
    if (m) {
      this.i += 1 + m[0].length;
      return { t: 'var', name: m[0], q };
    }
    this.i++;
    return { t: 'lit', v: '$', q };
  }
}

function findArithEnd(s: string, from: number): number {
  let depth = 0;
  for (let j = from; j < s.length; j++) {
    const c = s[j];
    if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return s[j + 1] === ')' ? j : -1;
      depth--;
    }
  }
  return -1;
}

function subParse(text: string, depth: number, budget: Budget): List {
  const p = new Parser(text, depth, budget);
  const list = p.parseProgram();
  return list;
}

/** The text of a word made only of literal parts, else undefined. */
export function wordLiteral(w: Word): string | undefined {
  let out = '';
  for (const p of w.parts) {
    if (p.t !== 'lit') return undefined;
    out += p.v;
  }
  return out;
}

/** Parses INPUT (one line, or several for scripts). Never throws. */
export function parseShell(input: string): ParseResult {
  if (input.length > MAX_INPUT_CHARS) return { status: 'malformed', reason: 'input too long' };
  try {
    const p = new Parser(input, 0, { nodes: 0 });
    return { status: 'ok', list: p.parseProgram() };
  } catch (err) {
    if (err instanceof Stop) return { status: err.kind, reason: err.reason };
    // A RangeError from a pathological input is still only a malformed line.
    return { status: 'malformed', reason: err instanceof Error ? err.message.slice(0, 100) : 'parse error' };
  }
}

export const RESERVED_WORDS: ReadonlySet<string> = RESERVED;
