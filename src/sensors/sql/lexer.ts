// A bounded SQL tokenizer for the decoy databases: MySQL and T-SQL quoting, comments and literals.
// Never throws; input past the caps is reported, not buffered.

/** Longest statement text the decoy engine parses; longer ones are recorded and answered with an error. */
export const MAX_PARSED_STATEMENT_CHARS = 1024 * 1024;
/** Most tokens in one statement. */
export const MAX_TOKENS = 20_000;

export type TokenKind = 'ident' | 'qident' | 'string' | 'number' | 'hex' | 'var' | 'sysvar' | 'op' | 'punct';

export interface Token {
  kind: TokenKind;
  /** Identifiers as written (case kept), strings unescaped, hex as lowercase digits without 0x. */
  text: string;
  /** Upper-cased text for keyword checks (identifiers only). */
  upper: string;
  /** Offset of the token in the source. */
  pos: number;
}

export type LexResult = { ok: true; tokens: Token[] } | { ok: false; reason: string; pos: number };

const IDENT_START = /[A-Za-z_$\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const OPS = ['<=>', '<>', '!=', '<=', '>=', ':=', '||', '&&', '<<', '>>', '=', '<', '>', '+', '-', '*', '/', '%', '!', '~', '^', '&', '|'];

function tok(kind: TokenKind, text: string, pos: number): Token {
  return { kind, text, upper: kind === 'ident' ? text.toUpperCase() : text, pos };
}

/**
 * Reads a quoted string starting at I (the quote); doubled quotes and backslash escapes (when ESC)
 * unescape. Runs between escapes are copied as slices: a string built a character at a time made a
 * 65 KB literal cost 10 ms, most of it the garbage collector's.
 */
function readQuoted(s: string, i: number, q: string, esc: boolean): { text: string; end: number } | undefined {
  let out = '';
  let from = i + 1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j]!;
    if (esc && c === '\\' && j + 1 < s.length) {
      const n = s[j + 1]!;
      out += s.slice(from, j) + (n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n === '0' ? '\0' : n === 'Z' ? '\x1a' : n);
      j++;
      from = j + 1;
    } else if (c === q) {
      if (s[j + 1] !== q) return { text: out + s.slice(from, j), end: j + 1 };
      out += s.slice(from, j) + q;
      j++;
      from = j + 1;
    }
  }
  return undefined;
}

/**
 * Tokenizes one statement. DIALECT 'mysql' knows backticks, backslash escapes, `#` comments and
 * `/*!NNNNN ... *\/` executable comments (their content is kept, as mysqld runs it); 'tsql' knows
 * [brackets] and N'unicode' strings.
 */
export function lex(sql: string, dialect: 'mysql' | 'tsql' = 'mysql'): LexResult {
  if (sql.length > MAX_PARSED_STATEMENT_CHARS) return { ok: false, reason: 'statement too long', pos: 0 };
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    if (out.length >= MAX_TOKENS) return { ok: false, reason: 'too many tokens', pos: i };
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if ((c === '-' && sql[i + 1] === '-' && (i + 2 >= n || /\s/.test(sql[i + 2]!))) || (c === '#' && dialect === 'mysql')) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      if (dialect === 'mysql' && sql[i + 2] === '!') {
        // Executable comment: skip the marker and version digits, keep lexing the content; the
        // closing */ is skipped below when met.
        i += 3;
        while (i < n && sql[i]! >= '0' && sql[i]! <= '9') i++;
        continue;
      }
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === '*' && sql[i + 1] === '/' && dialect === 'mysql') {
      i += 2;
      continue;
    }
    if (c === "'" || c === '"' || (dialect === 'tsql' && (c === 'N' || c === 'n') && sql[i + 1] === "'")) {
      const start = c === "'" || c === '"' ? i : i + 1;
      const q = sql[start]!;
      const r = readQuoted(sql, start, q, dialect === 'mysql');
      if (!r) return { ok: false, reason: 'unterminated string', pos: i };
      // In T-SQL a double-quoted token is an identifier.
      out.push(tok(dialect === 'tsql' && q === '"' ? 'qident' : 'string', r.text, i));
      i = r.end;
      continue;
    }
    if (c === '`' || (c === '[' && dialect === 'tsql')) {
      const close = c === '`' ? '`' : ']';
      const r = readQuoted(sql, i, close, false);
      if (!r) return { ok: false, reason: 'unterminated identifier', pos: i };
      out.push(tok('qident', r.text, i));
      i = r.end;
      continue;
    }
    if ((c === 'x' || c === 'X') && sql[i + 1] === "'") {
      const end = sql.indexOf("'", i + 2);
      if (end < 0) return { ok: false, reason: 'unterminated hex literal', pos: i };
      const digits = sql.slice(i + 2, end);
      if (!/^[0-9a-fA-F]*$/.test(digits) || digits.length % 2) return { ok: false, reason: 'bad hex literal', pos: i };
      out.push(tok('hex', digits.toLowerCase(), i));
      i = end + 1;
      continue;
    }
    if (c === '0' && (sql[i + 1] === 'x' || sql[i + 1] === 'X')) {
      let j = i + 2;
      while (j < n && /[0-9a-fA-F]/.test(sql[j]!)) j++;
      if (j > i + 2 && !(j < n && IDENT_PART.test(sql[j]!))) {
        const digits = sql.slice(i + 2, j).toLowerCase();
        out.push(tok('hex', digits.length % 2 ? `0${digits}` : digits, i));
        i = j;
        continue;
      }
    }
    if ((c >= '0' && c <= '9') || (c === '.' && sql[i + 1] !== undefined && sql[i + 1]! >= '0' && sql[i + 1]! <= '9')) {
      const m = /^(\d*\.?\d+(?:[eE][+-]?\d+)?|\d+\.)/.exec(sql.slice(i, i + 400));
      const t = m ? m[0] : c;
      // A digit-led identifier (MySQL allows 1abc) stays an identifier.
      if (i + t.length < n && IDENT_START.test(sql[i + t.length]!) && !/[eE.]/.test(t)) {
        let j = i;
        while (j < n && IDENT_PART.test(sql[j]!)) j++;
        out.push(tok('ident', sql.slice(i, j), i));
        i = j;
        continue;
      }
      out.push(tok('number', t, i));
      i += t.length;
      continue;
    }
    if (c === '@') {
      const sys = sql[i + 1] === '@';
      let j = i + (sys ? 2 : 1);
      const start = j;
      while (j < n && (IDENT_PART.test(sql[j]!) || sql[j] === '.')) j++;
      out.push(tok(sys ? 'sysvar' : 'var', sql.slice(start, j).toLowerCase(), i));
      i = j;
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i;
      while (j < n && IDENT_PART.test(sql[j]!)) j++;
      out.push(tok('ident', sql.slice(i, j), i));
      i = j;
      continue;
    }
    const op = OPS.find((o) => sql.startsWith(o, i));
    if (op) {
      out.push(tok('op', op, i));
      i += op.length;
      continue;
    }
    out.push(tok('punct', c, i));
    i++;
  }
  return { ok: true, tokens: out };
}

/**
 * Splits a multi-statement text on top-level semicolons (outside quotes and comments); empty
 * statements are dropped. At most MAX statements are returned.
 */
export function splitStatements(sql: string, max = 64): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  while (i < n && out.length < max) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      const r = readQuoted(sql, i, c, c !== '`');
      i = r ? r.end : n;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*' && sql[i + 2] !== '!') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if ((c === '-' && sql[i + 1] === '-') || c === '#') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
      continue;
    }
    if (c === ';') {
      const s = sql.slice(start, i).trim();
      if (s) out.push(s);
      start = i + 1;
    }
    i++;
  }
  const last = sql.slice(start).trim();
  if (last && out.length < max) out.push(last);
  return out;
}
