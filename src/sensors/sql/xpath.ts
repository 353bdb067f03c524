// The XPath check behind MySQL's EXTRACTVALUE() and UPDATEXML(): error-based injection passes them
// a path such as concat(0x7e, version()) that is no XPath, and reads the server's answer, error 1105
// "XPATH syntax error: '~8.0.36'": the path from the token where parsing failed, cut at 32
// characters. This is a recogniser for XPath 1.0's grammar with MySQL's lexer (names may hold '-' and
// '.', a number is digits [. digits]); it finds where a path fails, it evaluates nothing.

/** Longest path read, and deepest nesting, before the check gives up at that point. */
export const MAX_XPATH_CHARS = 64 * 1024;
const MAX_XPATH_DEPTH = 64;
/** How much of the failing path MySQL quotes back. */
export const XPATH_ERROR_QUOTE_CHARS = 32;

type Tok = { k: 'name' | 'num' | 'str' | 'var' | 'op' | 'bad' | 'eof'; text: string; pos: number };

const NAME_START = /[A-Za-z_\u0080-\uffff]/;
const NAME_PART = /[A-Za-z0-9_.\-\u0080-\uffff]/;
const OPS = ['//', '::', '!=', '<=', '>=', '..', '/', '.', '@', '*', '[', ']', '(', ')', ',', '|', '=', '<', '>', '+', '-'];
const NODE_TYPES = new Set(['node', 'text', 'comment', 'processing-instruction']);
/** The functions MySQL's XPath knows; another name before '(' is a step, and the '(' fails. */
const FUNCTIONS = new Set('boolean ceiling concat contains count false floor id lang last local-name name normalize-space not number position round starts-with string-length substring sum translate true'.split(' '));
const AXES = new Set('ancestor ancestor-or-self attribute child descendant descendant-or-self following following-sibling namespace parent preceding preceding-sibling self'.split(' '));

function lexXpath(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c >= '0' && c <= '9') {
      while (i < s.length && s[i]! >= '0' && s[i]! <= '9') i++;
      if (s[i] === '.' && s[i + 1] !== undefined && s[i + 1]! >= '0' && s[i + 1]! <= '9') {
        i++;
        while (i < s.length && s[i]! >= '0' && s[i]! <= '9') i++;
      }
      out.push({ k: 'num', text: s.slice(start, i), pos: start });
    } else if (NAME_START.test(c)) {
      while (i < s.length && NAME_PART.test(s[i]!)) i++;
      // A qualified name, prefix:local (not an axis's ::).
      if (s[i] === ':' && s[i + 1] !== undefined && NAME_START.test(s[i + 1]!)) {
        i++;
        while (i < s.length && NAME_PART.test(s[i]!)) i++;
      }
      out.push({ k: 'name', text: s.slice(start, i), pos: start });
    } else if (c === '"' || c === "'") {
      const end = s.indexOf(c, i + 1);
      if (end < 0) {
        out.push({ k: 'bad', text: c, pos: start });
        return out;
      }
      i = end + 1;
      out.push({ k: 'str', text: s.slice(start, i), pos: start });
    } else if (c === '$') {
      i++;
      while (i < s.length && NAME_PART.test(s[i]!)) i++;
      out.push({ k: 'var', text: s.slice(start, i), pos: start });
    } else {
      const op = OPS.find((o) => s.startsWith(o, i));
      if (!op) {
        out.push({ k: 'bad', text: c, pos: start });
        return out;
      }
      i += op.length;
      out.push({ k: 'op', text: op, pos: start });
    }
  }
  out.push({ k: 'eof', text: '', pos: s.length });
  return out;
}

class Fail extends Error {
  constructor(readonly pos: number, readonly variable = false) {
    super('xpath');
  }
}

class XpathParser {
  i = 0;
  depth = 0;
  constructor(readonly t: Tok[]) {}
  get cur(): Tok {
    return this.t[Math.min(this.i, this.t.length - 1)]!;
  }
  is(text: string): boolean {
    return this.cur.k === 'op' && this.cur.text === text;
  }
  isName(...words: string[]): boolean {
    return this.cur.k === 'name' && words.includes(this.cur.text);
  }
  take(text: string): boolean {
    if (!this.is(text)) return false;
    this.i++;
    return true;
  }
  fail(): never {
    throw new Fail(this.cur.pos);
  }
  need(text: string): void {
    if (!this.take(text)) this.fail();
  }

  expr(): void {
    if (++this.depth > MAX_XPATH_DEPTH) this.fail();
    this.binary(0);
    this.depth--;
  }
  /** or, and, equality, relational, additive, multiplicative: each level's operators in turn. */
  private binary(level: number): void {
    const levels = [['or'], ['and'], ['=', '!='], ['<', '>', '<=', '>='], ['+', '-'], ['*', 'div', 'mod']];
    const ops = levels[level];
    if (!ops) return this.unary();
    this.binary(level + 1);
    while ((this.cur.k === 'op' && ops.includes(this.cur.text)) || (this.cur.k === 'name' && ops.includes(this.cur.text))) {
      this.i++;
      this.binary(level + 1);
    }
  }
  private unary(): void {
    while (this.take('-'));
    this.path();
    while (this.take('|')) this.path();
  }
  private path(): void {
    const c = this.cur;
    const primary = c.k === 'var' || c.k === 'str' || c.k === 'num' || this.is('(') || (c.k === 'name' && this.t[this.i + 1]?.text === '(' && FUNCTIONS.has(c.text));
    if (primary) {
      this.primary();
      while (this.is('[')) this.predicate();
      if (this.take('/') || this.take('//')) this.relative();
      return;
    }
    if (this.take('/')) {
      if (this.startsStep()) this.relative();
      return;
    }
    if (this.take('//')) return this.relative();
    this.relative();
  }
  private primary(): void {
    const c = this.cur;
    if (c.k === 'var') throw new Fail(c.pos, true);
    if (c.k === 'str' || c.k === 'num') {
      this.i++;
      return;
    }
    if (this.take('(')) {
      this.expr();
      return this.need(')');
    }
    // A function call: name ( [expr {, expr}] )
    this.i += 2;
    if (this.take(')')) return;
    do this.expr();
    while (this.take(','));
    this.need(')');
  }
  private startsStep(): boolean {
    return this.cur.k === 'name' || this.is('.') || this.is('..') || this.is('@') || this.is('*');
  }
  private relative(): void {
    this.step();
    while (this.take('/') || this.take('//')) this.step();
  }
  private step(): void {
    if (this.take('.') || this.take('..')) return;
    if (this.cur.k === 'name' && this.t[this.i + 1]?.text === '::') {
      // MySQL fails an unknown axis at the second colon.
      if (!AXES.has(this.cur.text)) throw new Fail(this.t[this.i + 1]!.pos + 1);
      this.i += 2;
    } else this.take('@');
    if (this.take('*')) {
      // name test *
    } else if (this.cur.k === 'name') {
      const node = NODE_TYPES.has(this.cur.text) && this.t[this.i + 1]?.text === '(';
      this.i++;
      if (node) {
        this.need('(');
        if (this.t[this.i]?.k === 'str') this.i++;
        this.need(')');
      }
    } else this.fail();
    while (this.is('[')) this.predicate();
  }
  private predicate(): void {
    this.need('[');
    this.expr();
    this.need(']');
  }
}

/**
 * MySQL's complaint about PATH, or undefined when it is a valid XPath: "XPATH syntax error: '...'"
 * quoting the path from the failing token (32 characters at most), or "Unknown XPATH variable at".
 */
export function xpathError(path: string): string | undefined {
  const s = path.length > MAX_XPATH_CHARS ? path.slice(0, MAX_XPATH_CHARS) : path;
  const p = new XpathParser(lexXpath(s));
  try {
    p.expr();
    if (p.cur.k !== 'eof') p.fail();
    // A path past the cap is not read to its end: it fails where reading stopped.
    if (s.length < path.length) throw new Fail(s.length);
    return undefined;
  } catch (e) {
    if (!(e instanceof Fail)) throw e;
    const rest = path.slice(e.pos, e.pos + XPATH_ERROR_QUOTE_CHARS);
    return e.variable ? `Unknown XPATH variable at: '${rest}'` : `XPATH syntax error: '${rest}'`;
  }
}
