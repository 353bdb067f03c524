// The decoy SQL engine: a small, bounded interpreter for the statements attackers send to a database
// (SHOW, USE, DESCRIBE, SELECT with WHERE/GROUP BY/ORDER BY/LIMIT, SET, INSERT/UPDATE/DELETE, DDL)
// over the generated decoy. It never touches the host: file writes are returned to the caller as data.
import { createHash } from 'node:crypto';
import { flatCopy } from '../../wire/flat-copy.js';
import { lex, type Token } from './lexer.js';
import type { ColumnKind, Database, Table, TableColumn, Value } from './decoy-data.js';
import { MAX_USER_VAR_NAME_CHARS, setUserVar } from './user-vars.js';
import { mysqlStatus, serverUptimeS } from './server-status.js';
import { castMysql, castTsql, checkDecimalArgs, MYSQL_CAST_TYPES, TSQL_TYPES, unknownTsqlType, type CastType } from './cast.js';
import { xpathError } from './xpath.js';
import { configurationsTable, databaseId, execSessionsTable, serverPrincipalsTable, userDatabases, type LoginInfo, type ServerConfigState } from './tsql-catalog.js';
import { fmtDate, NUMERIC_TEXT, toNum, toStr, truthy } from './values.js';
import { conversionFailed, divideByZero, SqlError, syntaxError, type TsqlMessage } from './sql-error.js';

/** Deepest expression nesting parsed (parentheses, NOT chains). */
export const MAX_EXPR_DEPTH = 64;
/** Most rows one table may hold in an attacker's view (inserts beyond it fail as a full table would). */
export const MAX_ROWS_PER_TABLE = 5_000;
/** Most tables per database and databases per view an attacker may create. */
export const MAX_TABLES = 200;
export const MAX_DATABASES = 64;
/** Most rows one result set carries. */
export const MAX_RESULT_ROWS = 10_000;
/** Most steps one LIKE comparison may take (the wildcard walk is O(text x pattern) at worst). */
export const MAX_LIKE_STEPS = 200_000;
/** Longest string value an expression may build (CONCAT, REPEAT, UNHEX...); checked before it is built. */
export const MAX_VALUE_CHARS = 4 * 1024 * 1024;
/** Longest text a row's cell keeps (a TEXT column's 65,535 bytes); a longer value is cut to it. */
export const MAX_TEXT_CELL_CHARS = 65_535;
/** Longest database, table or column name kept (MySQL's identifier limit). */
export const MAX_IDENTIFIER_CHARS = 64;
/** Most columns a created table keeps, and the longest column type text kept for each. */
export const MAX_COLUMNS_PER_TABLE = 256;
export const MAX_COLUMN_TYPE_CHARS = 32;
/**
 * Characters that a statement's function calls may produce in all, over every row: REPEAT builds up to
 * MAX_VALUE_CHARS per call, and a WHERE clause calls it once per row (MD5(REPEAT('a', 4194304)) over
 * 600 rows took about 6 s). Past it the statement is interrupted, as MySQL's max_execution_time does.
 */
export const MAX_STATEMENT_WORK_CHARS = 32 * 1024 * 1024;
/**
 * Highest value a table's AUTO_INCREMENT counter takes. An explicit id of 1e300 would otherwise push
 * the counter (and the insert id of every later row) past what a number holds exactly or the wire
 * carries; at the top the counter stays put, as MySQL's does when a column's type is exhausted.
 */
export const MAX_AUTO_INCREMENT = Number.MAX_SAFE_INTEGER;

export interface ResultColumn {
  name: string;
  kind: ColumnKind;
  table?: string;
  schema?: string;
}

export type Result =
  | { kind: 'rows'; columns: ResultColumn[]; rows: Value[][] }
  | { kind: 'ok'; affected: number; insertId?: number; info?: string }
  | { kind: 'error'; code: number; state: string; message: string; tsql?: TsqlMessage };

/** A file the statement would have written on a real server (SELECT ... INTO OUTFILE/DUMPFILE). */
export interface FileWrite {
  path: string;
  mode: 'outfile' | 'dumpfile';
  data: Buffer;
}

export interface Executed {
  result: Result;
  /** Set when the statement changed the current database (USE). */
  database?: string;
  files: FileWrite[];
}

/** Where the engine reads and writes tables: the shared generated decoy, or an attacker's own copy. */
export interface DataView {
  read(): ReadonlyMap<string, Database>;
  /** A copy the engine may change; made on first write. */
  write(): Map<string, Database>;
  /**
   * Counts N more bytes of attacker-written data against this view's budget; false when it is spent
   * (the statement then fails as on a full disk). Views without a budget accept everything.
   */
  charge?(bytes: number): boolean;
}

export interface SessionInfo {
  dialect: 'mysql' | 'tsql';
  user: string;
  clientHost: string;
  database: string | undefined;
  connectionId: number;
  variables: Readonly<Record<string, string>>;
  /** User variables (@x), per connection. */
  userVars: Map<string, Value>;
  now(): Date;
  /** When the server started (ms since the epoch), for Uptime and tempdb's creation; unset: DEFAULT_UPTIME_S ago. */
  startedMs?: number;
  /** What a T-SQL client said of itself at login (HOST_NAME(), APP_NAME(), sys.dm_exec_sessions). */
  login?: LoginInfo;
  /** Server options this T-SQL connection set (sp_configure) and installed (RECONFIGURE), for sys.configurations. */
  serverConfig?: ServerConfigState;
  /** What the connection's TLS negotiated (Ssl_cipher, Ssl_version); unset on a plain connection. */
  tls?: { cipher: string; version: string };
}

// ---- expressions ----

type Expr =
  | { t: 'lit'; v: Value; nv?: true; dec?: true }
  | { t: 'col'; table?: string; name: string; key?: string }
  | { t: 'star'; table?: string }
  | { t: 'sysvar'; name: string }
  | { t: 'var'; name: string }
  | { t: 'call'; name: string; args: Expr[]; star: boolean }
  | { t: 'un'; op: string; e: Expr }
  | { t: 'bin'; op: string; l: Expr; r: Expr }
  | { t: 'in'; e: Expr; list: Expr[]; not: boolean }
  | { t: 'isnull'; e: Expr; not: boolean }
  | { t: 'like'; e: Expr; pat: Expr; not: boolean }
  | { t: 'between'; e: Expr; lo: Expr; hi: Expr; not: boolean }
  | { t: 'case'; operand?: Expr; whens: { when: Expr; then: Expr }[]; else?: Expr }
  | { t: 'cast'; e: Expr; type: CastType | undefined; attempt: boolean }
  /** (SELECT ...) as a value, or EXISTS (SELECT ...); its rows are computed once per statement. */
  | { t: 'sub'; body: SelectBody; exists: boolean; rows?: Value[][]; width?: number }
  | { t: 'insub'; e: Expr; body: SelectBody; not: boolean; rows?: Value[][]; width?: number };

const AGGREGATES = new Set(['COUNT', 'SUM', 'MIN', 'MAX', 'AVG', 'GROUP_CONCAT']);
/** Keywords that end an expression or a select item; never read as a bare column name or alias. */
const RESERVED = new Set(
  'FROM WHERE GROUP ORDER LIMIT HAVING INTO AND OR NOT AS ON JOIN LEFT RIGHT INNER OUTER CROSS UNION SET VALUES ASC DESC OFFSET LIKE IN IS BETWEEN SELECT PROCEDURE FOR LOCK XOR REGEXP RLIKE DIV MOD WITH CASE WHEN THEN ELSE'.split(' '),
);

class Parser {
  pos = 0;
  depth = 0;
  /** The statement's context, for subqueries (their tables are looked up as they are parsed). */
  cx: EvalCtx | undefined;
  constructor(
    readonly toks: Token[],
    readonly sql: string,
    readonly dialect: 'mysql' | 'tsql',
  ) {}

  get done(): boolean {
    return this.pos >= this.toks.length;
  }
  peek(o = 0): Token | undefined {
    return this.toks[this.pos + o];
  }
  /** The upper-cased keyword at the cursor (identifiers only). */
  kw(o = 0): string | undefined {
    const t = this.peek(o);
    return t?.kind === 'ident' ? t.upper : undefined;
  }
  accept(word: string): boolean {
    if (this.kw() === word) {
      this.pos++;
      return true;
    }
    return false;
  }
  acceptPunct(p: string): boolean {
    const t = this.peek();
    if (t && (t.kind === 'punct' || t.kind === 'op') && t.text === p) {
      this.pos++;
      return true;
    }
    return false;
  }
  fail(): SqlError {
    const t = this.peek();
    return syntaxError(this.sql, t ? t.pos : this.sql.length);
  }
  expect(word: string): void {
    if (!this.accept(word)) throw this.fail();
  }
  expectPunct(p: string): void {
    if (!this.acceptPunct(p)) throw this.fail();
  }
  /** An identifier (bare or quoted). */
  name(): string {
    const t = this.peek();
    if (!t || (t.kind !== 'ident' && t.kind !== 'qident') || (t.kind === 'ident' && RESERVED.has(t.upper))) throw this.fail();
    this.pos++;
    return t.text;
  }
  /** A name, or a string literal where MySQL takes either (LIKE patterns excepted). */
  nameOrString(): string {
    const t = this.peek();
    if (t?.kind === 'string') {
      this.pos++;
      return t.text;
    }
    return this.name();
  }
  /**
   * db.table or table. T-SQL also has db..table and db.schema.table, and there a two-part name is
   * schema.table in the current database (dbo.users), except the catalogue schemas sys and
   * INFORMATION_SCHEMA, served as databases here. WRITTEN keeps the name as the client wrote it, for
   * SQL Server's "Invalid object name".
   */
  qualified(): { db?: string; name: string; written?: string } {
    const first = this.name();
    if (this.acceptPunct('.')) {
      if (this.acceptPunct('.')) {
        const name = this.name();
        return { db: first, name, written: `${first}..${name}` };
      }
      const second = this.name();
      if (this.acceptPunct('.')) {
        const name = this.name();
        return { db: first, name, written: `${first}.${second}.${name}` };
      }
      const schema = first.toLowerCase();
      if (this.dialect === 'tsql' && schema !== 'sys' && schema !== 'information_schema') return { name: second, written: `${first}.${second}` };
      return { db: first, name: second };
    }
    return { name: first };
  }
  number(): number {
    const t = this.peek();
    if (t?.kind !== 'number') throw this.fail();
    this.pos++;
    return Math.max(0, Math.floor(Number(t.text)));
  }
  end(): void {
    if (!this.done) throw this.fail();
  }

  expr(): Expr {
    if (++this.depth > MAX_EXPR_DEPTH) throw new SqlError(1436, 'HY000', 'Thread stack overrun');
    try {
      return this.or();
    } finally {
      this.depth--;
    }
  }
  private or(): Expr {
    let l = this.and();
    while (this.accept('OR') || this.acceptPunct('||') || this.accept('XOR')) l = { t: 'bin', op: 'OR', l, r: this.and() };
    return l;
  }
  private and(): Expr {
    let l = this.not();
    while (this.accept('AND') || this.acceptPunct('&&')) l = { t: 'bin', op: 'AND', l, r: this.not() };
    return l;
  }
  private not(): Expr {
    if (this.accept('NOT') || this.acceptPunct('!')) {
      if (++this.depth > MAX_EXPR_DEPTH) throw new SqlError(1436, 'HY000', 'Thread stack overrun');
      try {
        return { t: 'un', op: 'NOT', e: this.not() };
      } finally {
        this.depth--;
      }
    }
    return this.cmp();
  }
  private cmp(): Expr {
    const l = this.add();
    const t = this.peek();
    if (t?.kind === 'op' && ['=', '<>', '!=', '<', '>', '<=', '>=', '<=>'].includes(t.text)) {
      this.pos++;
      return { t: 'bin', op: t.text === '!=' ? '<>' : t.text, l, r: this.add() };
    }
    if (this.accept('IS')) {
      const not = this.accept('NOT');
      if (this.accept('NULL')) return { t: 'isnull', e: l, not };
      if (this.accept('TRUE')) return { t: 'bin', op: not ? '<>' : '=', l, r: { t: 'lit', v: 1 } };
      if (this.accept('FALSE')) return { t: 'bin', op: not ? '<>' : '=', l, r: { t: 'lit', v: 0 } };
      throw this.fail();
    }
    const not = this.kw() === 'NOT' && ['LIKE', 'IN', 'BETWEEN', 'REGEXP', 'RLIKE'].includes(this.kw(1) ?? '') ? (this.pos++, true) : false;
    if (this.accept('LIKE')) return { t: 'like', e: l, pat: this.add(), not };
    if (this.accept('REGEXP') || this.accept('RLIKE')) return { t: 'like', e: l, pat: { t: 'call', name: '__REGEXP', args: [this.add()], star: false }, not };
    if (this.accept('IN')) {
      this.expectPunct('(');
      if (this.kw() === 'SELECT' || (this.peek()?.text === '(' && this.kw(1) === 'SELECT')) {
        const body = this.subquery();
        this.expectPunct(')');
        return { t: 'insub', e: l, body, not };
      }
      const list = [this.expr()];
      while (this.acceptPunct(',')) list.push(this.expr());
      this.expectPunct(')');
      return { t: 'in', e: l, list, not };
    }
    if (this.accept('BETWEEN')) {
      const lo = this.add();
      this.expect('AND');
      return { t: 'between', e: l, lo, hi: this.add(), not };
    }
    if (not) throw this.fail();
    return l;
  }
  private add(): Expr {
    let l = this.mul();
    for (;;) {
      const t = this.peek();
      if (t?.kind === 'op' && (t.text === '+' || t.text === '-' || t.text === '|' || t.text === '&')) {
        this.pos++;
        l = { t: 'bin', op: t.text, l, r: this.mul() };
      } else return l;
    }
  }
  private mul(): Expr {
    let l = this.unary();
    for (;;) {
      const t = this.peek();
      if (t?.kind === 'op' && (t.text === '*' || t.text === '/' || t.text === '%')) {
        this.pos++;
        l = { t: 'bin', op: t.text, l, r: this.unary() };
      } else if (this.accept('DIV')) l = { t: 'bin', op: 'DIV', l, r: this.unary() };
      else if (this.accept('MOD')) l = { t: 'bin', op: '%', l, r: this.unary() };
      else return l;
    }
  }
  private unary(): Expr {
    const t = this.peek();
    if (t?.kind === 'op' && (t.text === '-' || t.text === '+' || t.text === '~')) {
      this.pos++;
      if (++this.depth > MAX_EXPR_DEPTH) throw new SqlError(1436, 'HY000', 'Thread stack overrun');
      try {
        const e = this.unary();
        return t.text === '+' ? e : { t: 'un', op: t.text, e };
      } finally {
        this.depth--;
      }
    }
    return this.primary();
  }
  private primary(): Expr {
    const t = this.peek();
    if (!t) throw this.fail();
    switch (t.kind) {
      case 'number':
        this.pos++;
        // 10.0 and 1e1 are not integers to T-SQL's division, though their values are.
        return /[.eE]/.test(t.text) ? { t: 'lit', v: Number(t.text), dec: true } : { t: 'lit', v: Number(t.text) };
      case 'string':
        this.pos++;
        // T-SQL's N'...' is nvarchar, which conversion errors name.
        return this.dialect === 'tsql' && /[Nn]/.test(this.sql[t.pos]!) ? { t: 'lit', v: t.text, nv: true } : { t: 'lit', v: t.text };
      case 'hex':
        this.pos++;
        return { t: 'lit', v: Buffer.from(t.text, 'hex').toString('latin1') };
      case 'sysvar':
        this.pos++;
        return { t: 'sysvar', name: t.text.replace(/^(global|session|local)\./, '') };
      case 'var':
        this.pos++;
        return { t: 'var', name: t.text };
      case 'punct':
        if (t.text === '(') {
          this.pos++;
          if (this.kw() === 'SELECT') {
            const body = this.subquery();
            this.expectPunct(')');
            return { t: 'sub', body, exists: false };
          }
          const e = this.expr();
          this.expectPunct(')');
          return e;
        }
        throw this.fail();
      case 'op':
        if (t.text === '*') {
          this.pos++;
          return { t: 'star' };
        }
        throw this.fail();
      case 'ident':
      case 'qident': {
        const up = t.kind === 'ident' ? t.upper : '';
        if (up === 'NULL') return this.lit(null);
        if (up === 'TRUE') return this.lit(1);
        if (up === 'FALSE') return this.lit(0);
        if (up === 'CASE') return this.caseExpr();
        if (up === 'EXISTS' && this.peek(1)?.text === '(' && this.kw(2) === 'SELECT') {
          this.pos += 2;
          const body = this.subquery();
          this.expectPunct(')');
          return { t: 'sub', body, exists: true };
        }
        if (t.kind === 'ident' && this.peek(1)?.text === '(' && (up === 'CAST' || up === 'CONVERT' || (this.dialect === 'tsql' && (up === 'TRY_CAST' || up === 'TRY_CONVERT')))) return this.castExpr(up);
        const niladic = ['CURRENT_TIMESTAMP', 'CURRENT_USER', 'CURRENT_DATE', 'LOCALTIME', 'UTC_TIMESTAMP', 'SYSTEM_USER', 'SESSION_USER'];
        if ((niladic.includes(up) || (this.dialect === 'tsql' && up === 'USER')) && this.peek(1)?.text !== '(') {
          this.pos++;
          return { t: 'call', name: up, args: [], star: false };
        }
        if (t.kind === 'ident' && RESERVED.has(up)) throw this.fail();
        this.pos++;
        if (this.peek()?.text === '(' && t.kind === 'ident') {
          this.pos++;
          const args: Expr[] = [];
          let star = false;
          this.accept('DISTINCT');
          if (this.acceptPunct('*')) star = true;
          else if (!(this.peek()?.text === ')')) {
            args.push(this.expr());
            while (this.acceptPunct(',') || this.accept('SEPARATOR') || this.accept('USING')) args.push(this.expr());
          }
          this.expectPunct(')');
          return { t: 'call', name: up, args, star };
        }
        if (this.acceptPunct('.')) {
          if (this.acceptPunct('*')) return { t: 'star', table: t.text };
          const n2 = this.name();
          if (this.acceptPunct('.')) return { t: 'col', table: n2, name: this.name() };
          return { t: 'col', table: t.text, name: n2 };
        }
        return { t: 'col', name: t.text };
      }
      default:
        throw this.fail();
    }
  }
  /** A SELECT in parentheses (the cursor past the '('), up to its ')'. INTO in it is refused. */
  subquery(): SelectBody {
    if (!this.cx) throw new SqlError(1235, '42000', "This version of MySQL doesn't yet support subqueries here");
    const into: { target?: IntoTarget } = {};
    const body = parseSelectBody(this, this.cx, into);
    if (into.target) throw new SqlError(1327, '42000', 'Undeclared variable: ' + into.target.path.slice(0, 64));
    return body;
  }
  /** CASE [operand] WHEN x THEN y ... [ELSE z] END (the CASE keyword at the cursor). */
  private caseExpr(): Expr {
    this.pos++;
    if (this.kw() === 'END') throw this.fail();
    const operand = this.kw() === 'WHEN' ? undefined : this.expr();
    const whens: { when: Expr; then: Expr }[] = [];
    while (this.accept('WHEN')) {
      const when = this.expr();
      this.expect('THEN');
      whens.push({ when, then: this.expr() });
    }
    if (whens.length === 0) throw this.fail();
    const otherwise = this.accept('ELSE') ? this.expr() : undefined;
    this.expect('END');
    return { t: 'case', ...(operand ? { operand } : {}), whens, ...(otherwise ? { else: otherwise } : {}) };
  }
  /**
   * CAST(x AS type) in both dialects; MySQL's CONVERT(x, type) and CONVERT(x USING charset); T-SQL's
   * CONVERT(type, x[, style]) and the TRY_ forms (the name at the cursor, '(' after it).
   */
  private castExpr(up: string): Expr {
    this.pos += 2;
    const attempt = up.startsWith('TRY_');
    let e: Expr;
    let type: CastType | undefined;
    if (up.endsWith('CONVERT') && this.dialect === 'tsql') {
      type = this.castType();
      this.expectPunct(',');
      e = this.expr();
      if (this.acceptPunct(',')) this.expr();
    } else {
      e = this.expr();
      if (up.endsWith('CAST')) {
        this.expect('AS');
        type = this.castType();
      } else if (this.accept('USING')) this.name();
      else {
        this.expectPunct(',');
        type = this.castType();
      }
    }
    this.expectPunct(')');
    return { t: 'cast', e, type, attempt };
  }
  /** A CAST target type: the name, (n), (p, s) or (max), and MySQL's CHARACTER SET and INTEGER words. */
  private castType(): CastType {
    const t = this.peek();
    if (!t || (t.kind !== 'ident' && t.kind !== 'qident')) throw this.fail();
    const name = t.text.toLowerCase();
    const known = this.dialect === 'tsql' ? TSQL_TYPES.has(name) : MYSQL_CAST_TYPES.has(name);
    if (!known) throw this.dialect === 'tsql' ? unknownTsqlType(t.text) : this.fail();
    this.pos++;
    const args: (number | 'max')[] = [];
    if (this.acceptPunct('(')) {
      if (this.dialect === 'tsql' && this.accept('MAX')) args.push('max');
      else {
        args.push(this.number());
        if (this.acceptPunct(',')) args.push(this.number());
      }
      this.expectPunct(')');
    }
    const type = { name, args };
    if (this.dialect === 'mysql') {
      if (name === 'signed' || name === 'unsigned') this.accept('INTEGER') || this.accept('INT');
      if (name === 'char' || name === 'nchar') {
        if (this.accept('CHARACTER')) {
          this.expect('SET');
          this.nameOrString();
        } else if (this.accept('CHARSET')) this.nameOrString();
        else this.accept('ASCII') || this.accept('UNICODE') || this.accept('BINARY');
      }
      if (name === 'decimal') checkDecimalArgs(type);
      const n = args[0];
      if (typeof n === 'number' && n > MAX_VALUE_CHARS && (name === 'char' || name === 'nchar' || name === 'binary')) throw tooLarge(`cast_as_${name}`);
    } else {
      // SQL Server's longest sized type: 8,000 bytes (4,000 for the national ones); Msg 131 past it.
      const most = name.startsWith('n') ? 4000 : 8000;
      const n = args[0];
      if (typeof n === 'number' && n > most && /char|binary/.test(name)) {
        const text = `The size (${n}) given to the type '${name}' exceeds the maximum allowed for any data type (${most}).`;
        throw new SqlError(1074, '42000', text, { number: 131, severity: 15, message: text });
      }
    }
    return type;
  }
  private lit(v: Value): Expr {
    this.pos++;
    return { t: 'lit', v };
  }
}

// ---- evaluation ----

interface Row {
  /** Lower-cased column name -> index; table-qualified names too. */
  index: Map<string, number>;
  values: Value[];
}

interface EvalCtx {
  session: SessionInfo;
  view: DataView;
  /** SELECTs parsed and source rows they read so far in this statement (MAX_SELECTS_PER_STATEMENT, MAX_SCANNED_ROWS_PER_STATEMENT). */
  scan: { selects: number; rows: number };
  /** Characters produced by function calls so far in this statement (shared by every copy of the context). */
  work: { chars: number };
  /** The rows of the current group when evaluating aggregates. */
  group?: Row[];
}

function compare(a: Value, b: Value): number | null {
  if (a === null || b === null) return null;
  if (a === b) return 0;
  // DECIMAL values are kept as their text ("12.50"); numbers written as text compare as numbers.
  if (typeof a === 'number' || typeof b === 'number' || (NUMERIC_TEXT.test(a) && NUMERIC_TEXT.test(b))) {
    const x = toNum(a);
    const y = toNum(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return compareText(a, b);
}

/**
 * Case-insensitive text order (as a.toLowerCase() against b.toLowerCase()), walking ASCII
 * characters in place; the first non-ASCII character falls back to lower-casing both strings.
 */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    // Non-ASCII lower-casing can depend on context (Greek final sigma): leave it to toLowerCase.
    if (x > 0x7f || y > 0x7f) {
      const la = a.toLowerCase();
      const lb = b.toLowerCase();
      return la < lb ? -1 : la > lb ? 1 : 0;
    }
    if (x === y) continue;
    if (x >= 0x41 && x <= 0x5a) x += 0x20;
    if (y >= 0x41 && y <= 0x5a) y += 0x20;
    if (x !== y) return x < y ? -1 : 1;
  }
  // Equal up to the shorter length: a non-ASCII character left in the longer one does not change that
  // the shorter sorts first, since lower-casing ASCII never changes a string's length.
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/**
 * LIKE matching without regular expressions (an attacker's pattern must not backtrack
 * exponentially): % any run, _ one character, backslash escapes; case-insensitive. The classic
 * wildcard walk that retries from the last % is O(text x pattern) at worst.
 */
export function likeMatch(text: string, pattern: string): boolean {
  const t = text.toLowerCase();
  const toks: { ch: string; kind: 'lit' | 'one' | 'any' }[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) toks.push({ ch: pattern[++i]!.toLowerCase(), kind: 'lit' });
    else if (c === '%') toks.push({ ch: '', kind: 'any' });
    else if (c === '_') toks.push({ ch: '', kind: 'one' });
    else toks.push({ ch: c.toLowerCase(), kind: 'lit' });
  }
  let ti = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  let steps = 0;
  while (ti < t.length) {
    // A pathological value and pattern pair gives up (no match) rather than stall the sensor.
    if (++steps > MAX_LIKE_STEPS) return false;
    const p = toks[pi];
    if (p && (p.kind === 'one' || (p.kind === 'lit' && p.ch === t[ti]))) {
      ti++;
      pi++;
    } else if (p && p.kind === 'any') {
      star = pi++;
      mark = ti;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++mark;
    } else return false;
  }
  while (toks[pi]?.kind === 'any') pi++;
  return pi === toks.length;
}

/** LIKE pattern -> predicate. */
function likeRegex(p: string): { test(s: string): boolean } {
  return { test: (s) => likeMatch(s, p) };
}

function tooLarge(fn: string): SqlError {
  return new SqlError(1301, 'HY000', `Result of ${fn}() was larger than max_allowed_packet (${MAX_VALUE_CHARS}) - truncated`);
}

/**
 * PARTS joined with SEP, refused before the join when the result would pass MAX_VALUE_CHARS: user
 * variables and literals are not charged as work, and CONCAT of 4,000 @v of 64 Ki characters built
 * 256 Mi characters (300 MB of RSS, 350 ms) before a check after the join refused it (now 60 ms).
 */
function joinValue(fn: string, parts: readonly string[], sep = ''): string {
  let n = sep.length * Math.max(0, parts.length - 1);
  for (const p of parts) n += p.length;
  if (n > MAX_VALUE_CHARS) throw tooLarge(fn);
  return parts.join(sep);
}

function isAggregate(e: Expr): boolean {
  switch (e.t) {
    case 'call':
      return AGGREGATES.has(e.name) || e.args.some(isAggregate);
    case 'un':
      return isAggregate(e.e);
    case 'bin':
      return isAggregate(e.l) || isAggregate(e.r);
    case 'in':
      return isAggregate(e.e);
    case 'isnull':
    case 'like':
    case 'between':
      return isAggregate(e.e);
    case 'cast':
    case 'insub':
      return isAggregate(e.e);
    case 'case':
      return (e.operand !== undefined && isAggregate(e.operand)) || e.whens.some((w) => isAggregate(w.when) || isAggregate(w.then)) || (e.else !== undefined && isAggregate(e.else));
    default:
      return false;
  }
}

function lookupCol(e: { table?: string; name: string; key?: string }, row: Row | undefined): Value {
  // The lower-cased lookup key is computed once per expression, not once per row.
  const key = (e.key ??= (e.table ? `${e.table}.${e.name}` : e.name).toLowerCase());
  const i = row?.index.get(key);
  if (i === undefined) throw new SqlError(1054, '42S22', `Unknown column '${e.table ? `${e.table}.` : ''}${e.name}' in 'field list'`);
  return row!.values[i] ?? null;
}

function sysVar(name: string, s: SessionInfo): Value {
  const v = s.variables[name.toLowerCase()];
  if (v === undefined) throw new SqlError(1193, 'HY000', `Unknown system variable '${name}'`);
  return /^-?\d+$/.test(v) && v.length < 16 ? Number(v) : v;
}

function evalExpr(e: Expr, row: Row | undefined, cx: EvalCtx): Value {
  switch (e.t) {
    case 'lit':
      return e.v;
    case 'col':
      return lookupCol(e, row);
    case 'star':
      throw new SqlError(1064, '42000', "You have an error in your SQL syntax near '*'");
    case 'sysvar':
      return sysVar(e.name, cx.session);
    case 'var':
      return cx.session.userVars.get(e.name) ?? null;
    case 'un': {
      const v = evalExpr(e.e, row, cx);
      if (e.op === 'NOT') return v === null ? null : truthy(v) ? 0 : 1;
      if (v === null) return null;
      return e.op === '-' ? -toNum(v) : ~toNum(v);
    }
    case 'bin': {
      if (e.op === 'AND') {
        const l = evalExpr(e.l, row, cx);
        if (l !== null && !truthy(l)) return 0;
        const r = evalExpr(e.r, row, cx);
        if (r !== null && !truthy(r)) return 0;
        return l === null || r === null ? null : 1;
      }
      if (e.op === 'OR') {
        const l = evalExpr(e.l, row, cx);
        if (l !== null && truthy(l)) return 1;
        const r = evalExpr(e.r, row, cx);
        if (r !== null && truthy(r)) return 1;
        return l === null || r === null ? null : 0;
      }
      const l = evalExpr(e.l, row, cx);
      const r = evalExpr(e.r, row, cx);
      if (e.op === '<=>') return (l === null && r === null) || compare(l, r) === 0 ? 1 : 0;
      if (l === null || r === null) return null;
      if (cx.session.dialect === 'tsql') {
        const v = tsqlOperator(e, l, r);
        if (v !== undefined) return v;
      }
      switch (e.op) {
        case '=':
          return compare(l, r) === 0 ? 1 : 0;
        case '<>':
          return compare(l, r) !== 0 ? 1 : 0;
        case '<':
          return compare(l, r)! < 0 ? 1 : 0;
        case '>':
          return compare(l, r)! > 0 ? 1 : 0;
        case '<=':
          return compare(l, r)! <= 0 ? 1 : 0;
        case '>=':
          return compare(l, r)! >= 0 ? 1 : 0;
        case '+':
          return toNum(l) + toNum(r);
        case '-':
          return toNum(l) - toNum(r);
        case '*':
          return toNum(l) * toNum(r);
        case '/':
          return toNum(r) === 0 ? null : mysqlDivide(l, r);
        case 'DIV':
          return toNum(r) === 0 ? null : Math.trunc(toNum(l) / toNum(r));
        case '%':
          return toNum(r) === 0 ? null : toNum(l) % toNum(r);
        case '|':
          return toNum(l) | toNum(r);
        case '&':
          return toNum(l) & toNum(r);
        default:
          return null;
      }
    }
    case 'in': {
      const v = evalExpr(e.e, row, cx);
      if (v === null) return null;
      const hit = e.list.some((x) => compare(v, evalExpr(x, row, cx)) === 0);
      return hit !== e.not ? 1 : 0;
    }
    case 'isnull': {
      const v = evalExpr(e.e, row, cx);
      return (v === null) !== e.not ? 1 : 0;
    }
    case 'like': {
      const v = evalExpr(e.e, row, cx);
      if (e.pat.t === 'call' && e.pat.name === '__REGEXP') {
        const p = evalExpr(e.pat.args[0]!, row, cx);
        if (v === null || p === null) return null;
        // Attacker patterns are matched as literal substrings: no attacker-built RegExp (ReDoS).
        return toStr(v).toLowerCase().includes(toStr(p).toLowerCase()) !== e.not ? 1 : 0;
      }
      const p = evalExpr(e.pat, row, cx);
      if (v === null || p === null) return null;
      const pat = toStr(p);
      if (pat.length > 1024) return 0;
      return likeRegex(pat).test(toStr(v)) !== e.not ? 1 : 0;
    }
    case 'between': {
      const v = evalExpr(e.e, row, cx);
      const lo = evalExpr(e.lo, row, cx);
      const hi = evalExpr(e.hi, row, cx);
      const a = compare(v, lo);
      const b = compare(v, hi);
      if (a === null || b === null) return null;
      return (a >= 0 && b <= 0) !== e.not ? 1 : 0;
    }
    case 'case': {
      // Simple CASE compares the operand with each WHEN (NULL matches nothing); searched CASE tests each.
      const v = e.operand ? evalExpr(e.operand, row, cx) : undefined;
      for (const w of e.whens) {
        const hit = e.operand ? compare(v ?? null, evalExpr(w.when, row, cx)) === 0 : truthy(evalExpr(w.when, row, cx));
        if (hit) return evalExpr(w.then, row, cx);
      }
      return e.else ? evalExpr(e.else, row, cx) : null;
    }
    case 'cast': {
      const v = evalExpr(e.e, row, cx);
      if (!e.type) return v === null ? null : toStr(v);
      const out = cx.session.dialect === 'tsql' ? castTsql(v, e.type, sourceType(e.e), e.attempt) : castMysql(v, e.type);
      return charged(out, cx);
    }
    case 'sub': {
      const rows = subqueryRows(e, cx);
      if (e.exists) return rows.length ? 1 : 0;
      if (e.width !== 1) throw operandColumns();
      if (rows.length > 1) {
        const text = 'Subquery returned more than 1 value. This is not permitted when the subquery follows =, !=, <, <= , >, >= or when the subquery is used as an expression.';
        throw new SqlError(1242, '21000', 'Subquery returns more than 1 row', { number: 512, severity: 16, message: text });
      }
      return rows[0]?.[0] ?? null;
    }
    case 'insub': {
      const v = evalExpr(e.e, row, cx);
      const rows = subqueryRows(e, cx);
      if (e.width !== 1) throw operandColumns();
      if (v === null) return rows.length ? null : e.not ? 1 : 0;
      if (rows.some((r) => compare(v, r[0] ?? null) === 0)) return e.not ? 0 : 1;
      // No match, but a NULL among the values: unknown, as SQL has it.
      return rows.some((r) => r[0] === null) ? null : e.not ? 1 : 0;
    }
    case 'call':
      return callFunction(e, row, cx);
  }
}

/** A subquery's rows, computed once per statement (it cannot see the outer row). */
function subqueryRows(e: { body: SelectBody; rows?: Value[][]; width?: number }, cx: EvalCtx): Value[][] {
  if (!e.rows) {
    const r = evalSelectBody(e.body, cx);
    e.rows = r.rows;
    e.width = r.columns.length;
  }
  return e.rows;
}

function operandColumns(): SqlError {
  const text = 'Only one expression can be specified in the select list when the subquery is not introduced with EXISTS.';
  return new SqlError(1241, '21000', 'Operand should contain 1 column(s)', { number: 116, severity: 16, message: text });
}

/** MySQL's div_precision_increment: a quotient of exact numbers has 4 more decimals than its dividend. */
const DIV_PRECISION_INCREMENT = 4;
const MAX_DECIMAL_SCALE = 30;

/** Decimals of an exact number (or number text); undefined for other text (MySQL divides those as doubles). */
function scaleOf(v: string | number): number | undefined {
  const text = typeof v === 'number' ? String(v) : v;
  if (typeof v === 'string' && !NUMERIC_TEXT.test(v)) return undefined;
  if (/e/i.test(text)) return undefined;
  return text.split('.')[1]?.length ?? 0;
}

/** L / R as MySQL shows it: 10/3 is 3.3333 and 10/2 5.0000 (DECIMAL); a double when text is involved. */
function mysqlDivide(l: string | number, r: string | number): Value {
  const q = toNum(l) / toNum(r);
  const ls = scaleOf(l);
  if (ls === undefined || scaleOf(r) === undefined || !Number.isFinite(q) || Math.abs(q) >= 1e21) return q;
  return q.toFixed(Math.min(MAX_DECIMAL_SCALE, ls + DIV_PRECISION_INCREMENT));
}

const COMPARISONS = new Set(['=', '<>', '<', '>', '<=', '>=']);
const ARITHMETIC: Record<string, string> = { '+': 'add', '-': 'subtract', '*': 'multiply', '/': 'divide', '%': 'modulo' };
const TSQL_NUMBER_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/;

/**
 * T-SQL's reading of an operator where it differs from MySQL's; undefined where it does not. + joins
 * two strings; a string meeting a number converts to it (Msg 245 when it is not one, which is how
 * error-based injection reads @@version); int / int is an int; / and % by zero fail (Msg 8134).
 */
function tsqlOperator(e: Extract<Expr, { t: 'bin' }>, l: string | number, r: string | number): Value | undefined {
  const verb = ARITHMETIC[e.op];
  if (verb === undefined && !COMPARISONS.has(e.op)) return undefined;
  if (typeof l === 'string' && typeof r === 'string') {
    if (e.op === '+') return joinValue('concat', [l, r]);
    if (verb === undefined) return undefined;
    const text = `The data types ${sourceType(e.l)} and ${sourceType(e.r)} are incompatible in the ${verb} operator.`;
    throw new SqlError(1105, 'HY000', text, { number: 402, severity: 16, message: text });
  }
  if (typeof l === 'string' && !TSQL_NUMBER_TEXT.test(l)) throw conversionFailed(l, Number.isInteger(r) ? 'int' : 'numeric', sourceType(e.l));
  if (typeof r === 'string' && !TSQL_NUMBER_TEXT.test(r)) throw conversionFailed(r, Number.isInteger(l) ? 'int' : 'numeric', sourceType(e.r));
  if (e.op === '/' || e.op === '%') {
    if (toNum(r) === 0) throw divideByZero();
    const ints = typeof l === 'number' && typeof r === 'number' && Number.isInteger(l) && Number.isInteger(r) && !(e.l.t === 'lit' && e.l.dec) && !(e.r.t === 'lit' && e.r.dec);
    if (e.op === '/') return ints ? Math.trunc(l / r) : toNum(l) / toNum(r);
  }
  return undefined;
}

/** How SQL Server types the text of E in conversion messages: varchar for a plain literal, nvarchar otherwise. */
function sourceType(e: Expr): 'varchar' | 'nvarchar' {
  return e.t === 'lit' && !e.nv ? 'varchar' : 'nvarchar';
}

/** V, its characters charged to the statement's MAX_STATEMENT_WORK_CHARS. */
function charged(v: Value, cx: EvalCtx): Value {
  if (typeof v === 'string' && (cx.work.chars += v.length) > MAX_STATEMENT_WORK_CHARS) throw interrupted();
  return v;
}

/** A statement past one of its budgets, as MySQL's max_execution_time stops one. */
function interrupted(): SqlError {
  return new SqlError(1317, '70100', 'Query execution was interrupted');
}

/** A function call's value, charged to the statement's MAX_STATEMENT_WORK_CHARS. */
function callFunction(e: Extract<Expr, { t: 'call' }>, row: Row | undefined, cx: EvalCtx): Value {
  return charged(callFunctionUncharged(e, row, cx), cx);
}

function callFunctionUncharged(e: Extract<Expr, { t: 'call' }>, row: Row | undefined, cx: EvalCtx): Value {
  const s = cx.session;
  if (AGGREGATES.has(e.name)) {
    const rows = cx.group ?? (row ? [row] : []);
    if (e.name === 'COUNT') {
      if (e.star) return rows.length;
      return rows.filter((r) => evalExpr(e.args[0] ?? { t: 'lit', v: 1 }, r, { ...cx, group: undefined }) !== null).length;
    }
    const vals = rows.map((r) => evalExpr(e.args[0] ?? { t: 'lit', v: null }, r, { ...cx, group: undefined })).filter((v): v is string | number => v !== null);
    if (vals.length === 0) return null;
    switch (e.name) {
      case 'SUM':
        return Math.round(vals.reduce<number>((a, v) => a + toNum(v), 0) * 100) / 100;
      case 'AVG':
        return Math.round((vals.reduce<number>((a, v) => a + toNum(v), 0) / vals.length) * 10000) / 10000;
      case 'MIN':
        return vals.reduce((a, v) => (compare(v, a)! < 0 ? v : a));
      case 'MAX':
        return vals.reduce((a, v) => (compare(v, a)! > 0 ? v : a));
      default:
        return joinValue('group_concat', vals.map(toStr), ',');
    }
  }
  const args = (): Value[] => e.args.map((a) => evalExpr(a, row, cx));
  const one = (): Value => (e.args[0] ? evalExpr(e.args[0], row, cx) : null);
  switch (e.name) {
    case 'VERSION':
      return sysVar('version', s);
    case 'USER':
    case 'SESSION_USER':
    case 'SYSTEM_USER':
      // T-SQL: SYSTEM_USER is the login, USER the database user (dbo for sysadmin logins).
      if (s.dialect === 'tsql') return e.name === 'SYSTEM_USER' ? s.user : 'dbo';
      return `${s.user}@${s.clientHost}`;
    case 'USER_NAME':
      return 'dbo';
    case 'CURRENT_USER':
      return `${s.user}@%`;
    case 'DATABASE':
    case 'SCHEMA':
    case 'DB_NAME':
      return s.database ?? null;
    case 'SUSER_SNAME':
    case 'SUSER_NAME':
      return s.user;
    case 'APP_NAME':
      if (s.dialect === 'tsql') return s.login?.app ?? '';
      break;
    case 'DB_ID':
      if (s.dialect === 'tsql') {
        const name = e.args.length ? one() : (s.database ?? 'master');
        return name === null ? null : (databaseId(cx.view.read(), toStr(name)) ?? null);
      }
      break;
    case 'HOST_NAME':
      // The workstation name the client sent at login (MySQL has no HOST_NAME()).
      if (s.dialect === 'tsql') return s.login?.host ?? '';
      throw new SqlError(1305, '42000', `FUNCTION ${s.database ?? 'mysql'}.host_name does not exist`);
    case 'SERVERPROPERTY': {
      const p = toStr(one()).toLowerCase();
      const v = s.variables[`serverproperty.${p}`];
      return v ?? null;
    }
    case 'NOW':
    case 'SYSDATE':
    case 'CURRENT_TIMESTAMP':
    case 'LOCALTIME':
    case 'UTC_TIMESTAMP':
    case 'GETDATE':
      return fmtDate(s.now());
    case 'CURDATE':
    case 'CURRENT_DATE':
      return fmtDate(s.now()).slice(0, 10);
    case 'UNIX_TIMESTAMP':
      return Math.floor(s.now().getTime() / 1000);
    case 'CONNECTION_ID':
      return s.connectionId;
    case 'LAST_INSERT_ID':
    case 'FOUND_ROWS':
    case 'ROW_COUNT':
      return 0;
    case 'CONCAT': {
      const a = args();
      return a.some((v) => v === null) ? null : joinValue('concat', a.map(toStr));
    }
    case 'CONCAT_WS': {
      const [sep, ...rest] = args();
      if (sep === null || sep === undefined) return null;
      return joinValue('concat_ws', rest.filter((v) => v !== null).map(toStr), toStr(sep));
    }
    case 'UPPER':
    case 'UCASE': {
      const v = one();
      return v === null ? null : toStr(v).toUpperCase();
    }
    case 'LOWER':
    case 'LCASE': {
      const v = one();
      return v === null ? null : toStr(v).toLowerCase();
    }
    case 'LENGTH':
    case 'CHAR_LENGTH':
    case 'LEN': {
      const v = one();
      return v === null ? null : toStr(v).length;
    }
    case 'HEX': {
      const v = one();
      if (v === null) return null;
      if (typeof v === 'number') return v.toString(16).toUpperCase();
      const bytes = Buffer.from(v, /^[\x00-\xff]*$/.test(v) ? 'latin1' : 'utf8');
      if (bytes.length * 2 > MAX_VALUE_CHARS) throw tooLarge('hex');
      return bytes.toString('hex').toUpperCase();
    }
    case 'UNHEX': {
      const v = one();
      if (v === null) return null;
      const h = toStr(v);
      return /^([0-9a-fA-F]{2})*$/.test(h) ? Buffer.from(h, 'hex').toString('latin1') : null;
    }
    case 'MD5':
    case 'SHA1':
    case 'SHA': {
      const v = one();
      return v === null ? null : createHash(e.name === 'MD5' ? 'md5' : 'sha1').update(toStr(v)).digest('hex');
    }
    case 'IFNULL':
    case 'ISNULL':
    case 'COALESCE':
    case 'NVL': {
      for (const v of args()) if (v !== null) return v;
      return null;
    }
    case 'IF': {
      const [c, a, b] = e.args;
      if (!c) return null;
      return truthy(evalExpr(c, row, cx)) ? (a ? evalExpr(a, row, cx) : null) : b ? evalExpr(b, row, cx) : null;
    }
    case 'SUBSTRING':
    case 'SUBSTR':
    case 'MID': {
      const [v, p, n] = args();
      if (v === null || v === undefined || p === null || p === undefined) return null;
      const str = toStr(v);
      const start = toNum(p) > 0 ? toNum(p) - 1 : Math.max(0, str.length + toNum(p));
      return n === undefined ? str.slice(start) : n === null ? null : str.slice(start, start + Math.max(0, toNum(n)));
    }
    case 'ASCII':
    case 'ORD': {
      const v = one();
      return v === null ? null : toStr(v).charCodeAt(0) || 0;
    }
    case 'CHAR':
      return args()
        .filter((v) => v !== null)
        .map((v) => String.fromCharCode(toNum(v) & 0xff))
        .join('');
    case 'REPEAT': {
      const [v, n] = args();
      if (v === null || v === undefined || n === null || n === undefined) return null;
      const count = Math.max(0, Math.floor(toNum(n)));
      if (toStr(v).length * count > MAX_VALUE_CHARS) return null;
      return toStr(v).repeat(count);
    }
    case 'ELT': {
      // ELT(n, a, b, ...): the nth string (sqlmap's marker in its error-based payloads); FIELD the reverse.
      if (s.dialect === 'tsql') break;
      const n = one();
      const i = n === null ? 0 : Math.trunc(toNum(n));
      const pick = i >= 1 ? e.args[i] : undefined;
      return pick ? evalExpr(pick, row, cx) : null;
    }
    case 'FIELD': {
      if (s.dialect === 'tsql') break;
      const [v, ...rest] = args();
      if (v === null || v === undefined) return 0;
      return rest.findIndex((x) => x !== null && compare(v, x) === 0) + 1;
    }
    case 'EXTRACTVALUE':
    case 'UPDATEXML': {
      // Error-based injection's favourites: a path that is no XPath comes back in error 1105. A valid
      // path selects nothing from the decoy's documents (EXTRACTVALUE ''), so UPDATEXML changes nothing.
      if (s.dialect === 'tsql') break;
      if (e.args.length !== (e.name === 'EXTRACTVALUE' ? 2 : 3)) throw new SqlError(1582, '42000', `Incorrect parameter count in the call to native function '${e.name.toLowerCase()}'`);
      const [xml, path] = args();
      if (xml === null || xml === undefined || path === null || path === undefined) return null;
      const complaint = xpathError(toStr(path));
      if (complaint !== undefined) throw new SqlError(1105, 'HY000', complaint);
      return e.name === 'EXTRACTVALUE' ? '' : xml;
    }
    case 'SLEEP':
    case 'BENCHMARK':
      // Timing probes get an immediate answer: the decoy never stalls on attacker request.
      return 0;
    case 'LOAD_FILE':
      // secure_file_priv confines reads; the real server answers NULL for files outside it.
      return null;
    case 'SYS_EXEC':
    case 'SYS_EVAL':
    case 'LIB_MYSQLUDF_SYS_INFO':
    case 'DO_SYSTEM':
      return e.name === 'SYS_EVAL' ? '' : 0;
    case 'BINARY':
      return one();
    case 'ABS': {
      const v = one();
      return v === null ? null : Math.abs(toNum(v));
    }
    case 'ROUND':
    case 'FLOOR':
    case 'CEIL':
    case 'CEILING': {
      const v = one();
      if (v === null) return null;
      const n = toNum(v);
      return e.name === 'ROUND' ? Math.round(n) : e.name === 'FLOOR' ? Math.floor(n) : Math.ceil(n);
    }
    case 'IS_SRVROLEMEMBER':
    case 'IS_MEMBER':
    case 'HAS_PERMS_BY_NAME':
    case 'HAS_DBACCESS':
      return 1;
    case 'RAND':
      return 0.5;
    case 'UUID':
      return '3f06af63-a93c-11e4-9797-00505690773f';
  }
  throw new SqlError(1305, '42000', `FUNCTION ${s.database ?? 'mysql'}.${e.name.toLowerCase()} does not exist`);
}

// ---- catalog lookups ----

function findDb(view: ReadonlyMap<string, Database>, name: string): Database | undefined {
  return view.get(name) ?? [...view.values()].find((d) => d.name.toLowerCase() === name.toLowerCase());
}

function findTable(db: Database, name: string): Table | undefined {
  return db.tables.get(name) ?? [...db.tables.values()].find((t) => t.name.toLowerCase() === name.toLowerCase());
}

interface Source {
  schema: string;
  table: string;
  columns: ResultColumn[];
  rows: Value[][];
}

function noDb(): SqlError {
  return new SqlError(1046, '3D000', 'No database selected');
}

/** information_schema (and T-SQL's sys.*) as virtual tables computed from the current view. */
function virtualTable(view: ReadonlyMap<string, Database>, db: string, name: string, s: SessionInfo): Source | undefined {
  const lname = name.toLowerCase();
  const c = (n: string, kind: ColumnKind = 'text'): ResultColumn => ({ name: n, kind });
  const dbs = [...view.values()];
  if (db.toLowerCase() === 'information_schema') {
    switch (lname) {
      case 'schemata':
        return { schema: db, table: 'SCHEMATA', columns: [c('CATALOG_NAME'), c('SCHEMA_NAME'), c('DEFAULT_CHARACTER_SET_NAME'), c('DEFAULT_COLLATION_NAME')], rows: dbs.map((d) => ['def', d.name, 'utf8mb4', 'utf8mb4_0900_ai_ci']) };
      case 'tables':
        return {
          schema: db,
          table: 'TABLES',
          columns: [c('TABLE_CATALOG'), c('TABLE_SCHEMA'), c('TABLE_NAME'), c('TABLE_TYPE'), c('ENGINE'), c('TABLE_ROWS', 'int')],
          rows: dbs.flatMap((d) => [...d.tables.values()].map((t) => ['def', d.name, t.name, 'BASE TABLE', 'InnoDB', t.rows.length] as Value[])),
        };
      case 'columns':
        return {
          schema: db,
          table: 'COLUMNS',
          columns: [c('TABLE_CATALOG'), c('TABLE_SCHEMA'), c('TABLE_NAME'), c('COLUMN_NAME'), c('ORDINAL_POSITION', 'int'), c('IS_NULLABLE'), c('DATA_TYPE'), c('COLUMN_TYPE'), c('COLUMN_KEY')],
          rows: dbs.flatMap((d) =>
            [...d.tables.values()].flatMap((t) => t.columns.map((col, i) => ['def', d.name, t.name, col.name, i + 1, col.nullable === false ? 'NO' : 'YES', col.sqlType.replace(/\(.*$/, ''), col.sqlType, col.key ?? ''] as Value[])),
          ),
        };
      case 'user_privileges':
        return { schema: db, table: 'USER_PRIVILEGES', columns: [c('GRANTEE'), c('TABLE_CATALOG'), c('PRIVILEGE_TYPE'), c('IS_GRANTABLE')], rows: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'FILE', 'SUPER'].map((p) => [`'${s.user}'@'%'`, 'def', p, 'YES']) };
      case 'processlist':
        return { schema: db, table: 'PROCESSLIST', columns: [c('ID', 'int'), c('USER'), c('HOST'), c('DB'), c('COMMAND'), c('TIME', 'int'), c('STATE'), c('INFO')], rows: processRows(s) };
      default:
        return undefined;
    }
  }
  if (s.dialect === 'tsql' && (db.toLowerCase() === 'sys' || db.toLowerCase() === 'master')) {
    const users = userDatabases(view);
    if (lname === 'databases' || lname === 'sysdatabases')
      return { schema: db, table: name, columns: [c('name'), c('database_id', 'int'), c('create_date')], rows: [['master', 1, '2003-04-08 09:13:36'], ['tempdb', 2, fmtDate(new Date(s.now().getTime() - serverUptimeS(s.startedMs, s.now()) * 1000))], ['model', 3, '2003-04-08 09:13:36'], ['msdb', 4, '2022-10-08 06:31:57'], ...users.map((u) => [u.db.name, u.id, '2023-02-14 10:22:41'] as Value[])] };
    if (lname === 'tables' || lname === 'objects' || lname === 'sysobjects') {
      const d = s.database ? findDb(view, s.database) : undefined;
      return { schema: db, table: name, columns: [c('name'), c('object_id', 'int'), c('type')], rows: d ? [...d.tables.values()].map((t, i) => [t.name, 245575913 + i * 16048, 'U'] as Value[]) : [] };
    }
    if (lname === 'sql_logins' || lname === 'syslogins')
      return { schema: db, table: name, columns: [c('name'), c('is_disabled', 'int')], rows: [['sa', 0], ['##MS_PolicyEventProcessingLogin##', 1], [appLogin(users), 0]] };
    const catalog =
      lname === 'configurations'
        ? configurationsTable(s.serverConfig)
        : lname === 'server_principals'
          ? serverPrincipalsTable(s.user, appLogin(users))
          : lname === 'dm_exec_sessions'
            ? execSessionsTable({ connectionId: s.connectionId, user: s.user, ...(s.login ? { login: s.login } : {}), databaseId: databaseId(view, s.database ?? 'master') ?? 1, nowMs: s.now().getTime() })
            : undefined;
    if (catalog) return { schema: db, table: name, ...catalog };
  }
  return undefined;
}

/** The application's SQL login, named after the first user database. */
function appLogin(users: readonly { db: Database }[]): string {
  return `${users[0]?.db.name ?? 'app'}_app`;
}

function processRows(s: SessionInfo): Value[][] {
  return [
    // The event scheduler has waited since the server started: its Time is the Uptime.
    [5, 'event_scheduler', 'localhost', null, 'Daemon', serverUptimeS(s.startedMs, s.now()), 'Waiting on empty queue', null],
    [s.connectionId, s.user, s.clientHost, s.database ?? null, 'Query', 0, 'executing', 'SHOW PROCESSLIST'],
  ];
}

function tableSource(view: ReadonlyMap<string, Database>, ref: { db?: string; name: string; written?: string }, s: SessionInfo): Source {
  const dbName = ref.db ?? s.database;
  if (dbName === undefined) throw noDb();
  const virt = virtualTable(view, dbName, ref.name, s);
  if (virt) return virt;
  const db = findDb(view, dbName);
  if (!db) throw new SqlError(1049, '42000', `Unknown database '${dbName}'`);
  const t = findTable(db, ref.name);
  // T-SQL names the object as written; MySQL's text is mapped to SQL Server's by dropping the database.
  if (!t) throw new SqlError(1146, '42S02', `Table '${db.name}.${s.dialect === 'tsql' ? (ref.written ?? ref.name) : ref.name}' doesn't exist`);
  return { schema: db.name, table: t.name, columns: t.columns.map((col) => ({ name: col.name, kind: col.kind, table: t.name, schema: db.name })), rows: t.rows };
}

function rowIndex(cols: readonly ResultColumn[], alias: string | undefined, table: string): Map<string, number> {
  const m = new Map<string, number>();
  cols.forEach((c, i) => {
    const n = c.name.toLowerCase();
    if (!m.has(n)) m.set(n, i);
    m.set(`${table.toLowerCase()}.${n}`, i);
    if (alias) m.set(`${alias.toLowerCase()}.${n}`, i);
  });
  return m;
}

// ---- statements ----

interface SelectItem {
  e: Expr;
  alias?: string;
  text: string;
}

function kindOf(v: Value | undefined): ColumnKind {
  return typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'decimal') : 'text';
}

/** The text of tokens [from, to) in the source, as MySQL names an unaliased select item. */
function sourceText(p: Parser, from: number, to: number): string {
  const a = p.toks[from];
  const b = p.toks[to];
  if (!a) return '';
  return p.sql.slice(a.pos, b ? b.pos : p.sql.length).trim().slice(0, 256);
}

/** One SELECT of a statement or of a UNION: what it reads and what it projects. */
interface SelectCore {
  distinct: boolean;
  top?: number;
  items: SelectItem[];
  src?: Source;
  alias?: string;
  where?: Expr;
  groupBy?: Expr[];
  having?: Expr;
}

/** ORDER BY and LIMIT: of one SELECT, or of a whole UNION. */
interface SelectTail {
  order: { e: Expr; desc: boolean }[];
  limit?: number;
  offset: number;
}

type IntoTarget = { mode: 'outfile' | 'dumpfile'; path: string };

/**
 * Most SELECTs one statement holds (joined by UNION, or as subqueries), and the most source rows they
 * may read in all (each reads a whole table: 10,000 SELECTs of a 5,000-row table would take minutes).
 * Past either the statement is interrupted, as MySQL's max_execution_time does.
 */
export const MAX_SELECTS_PER_STATEMENT = 1024;
export const MAX_SCANNED_ROWS_PER_STATEMENT = 200_000;

/** SELECT ... INTO OUTFILE/DUMPFILE (kept in INTO) or INTO @var (skipped); options after it skipped. */
function readInto(p: Parser, into: { target?: IntoTarget }): void {
  if (!p.accept('INTO')) return;
  if (p.accept('OUTFILE')) into.target = { mode: 'outfile', path: p.nameOrString() };
  else if (p.accept('DUMPFILE')) into.target = { mode: 'dumpfile', path: p.nameOrString() };
  else {
    do p.pos++;
    while (p.acceptPunct(','));
  }
  // FIELDS TERMINATED BY ... and LINES ... options: skipped.
  while (!p.done && !['FROM', 'WHERE', 'LIMIT', 'ORDER', 'UNION'].includes(p.kw() ?? '') && p.peek()?.text !== ')') p.pos++;
}

/** The select list, FROM, WHERE, GROUP BY and HAVING of one SELECT (its keyword already read). */
function parseCore(p: Parser, cx: EvalCtx, into: { target?: IntoTarget }): SelectCore {
  const core: SelectCore = { distinct: false, items: [] };
  if (++cx.scan.selects > MAX_SELECTS_PER_STATEMENT) throw interrupted();
  while (['DISTINCT', 'DISTINCTROW', 'ALL', 'SQL_CALC_FOUND_ROWS', 'SQL_NO_CACHE', 'SQL_CACHE', 'HIGH_PRIORITY', 'STRAIGHT_JOIN'].includes(p.kw() ?? '')) {
    if (p.kw() === 'DISTINCT' || p.kw() === 'DISTINCTROW') core.distinct = true;
    p.pos++;
  }
  if (p.dialect === 'tsql' && p.accept('TOP')) {
    const paren = p.acceptPunct('(');
    core.top = p.number();
    if (paren) p.expectPunct(')');
  }
  do {
    const start = p.pos;
    const e = p.expr();
    const end = p.pos;
    let alias: string | undefined;
    if (p.accept('AS')) alias = p.nameOrString();
    else {
      const t = p.peek();
      if (t && (t.kind === 'qident' || t.kind === 'string' || (t.kind === 'ident' && !RESERVED.has(t.upper)))) {
        alias = t.text;
        p.pos++;
      }
    }
    core.items.push({ e, ...(alias !== undefined ? { alias } : {}), text: sourceText(p, start, end) });
  } while (p.acceptPunct(','));
  readInto(p, into);
  const from = p.accept('FROM');
  if (from && p.peek()?.text === '(' && p.kw(1) === 'SELECT') {
    // A derived table: FROM (SELECT ...) [AS] alias, the alias required.
    p.pos++;
    const r = evalSelectBody(p.subquery(), cx);
    p.expectPunct(')');
    p.accept('AS');
    const t = p.peek();
    if (!t || (t.kind !== 'qident' && (t.kind !== 'ident' || RESERVED.has(t.upper)))) throw new SqlError(1248, '42000', 'Every derived table must have its own alias');
    core.alias = p.name();
    core.src = { schema: '', table: core.alias, columns: r.columns.map((c) => ({ name: c.name, kind: c.kind })), rows: r.rows };
  } else if (from) {
    const ref = p.qualified();
    if (!(ref.db === undefined && ref.name.toUpperCase() === 'DUAL')) {
      core.src = tableSource(cx.view.read(), ref, cx.session);
      // Each SELECT runs once (a subquery's rows are kept for the statement): its table is read once.
      if ((cx.scan.rows += core.src.rows.length) > MAX_SCANNED_ROWS_PER_STATEMENT) throw interrupted();
      if (p.accept('AS')) core.alias = p.name();
      else if (p.peek()?.kind === 'ident' && !RESERVED.has(p.kw()!) && p.kw() !== 'WITH') core.alias = p.name();
      else if (p.peek()?.kind === 'qident') core.alias = p.name();
      if (p.dialect === 'tsql' && p.accept('WITH')) {
        p.expectPunct('(');
        while (!p.done && !p.acceptPunct(')')) p.pos++;
      }
    }
  }
  if (['JOIN', 'LEFT', 'RIGHT', 'INNER', 'CROSS'].includes(p.kw() ?? '') || p.peek()?.text === ',') {
    throw new SqlError(1235, '42000', "This version of MySQL doesn't yet support this form of join");
  }
  if (p.accept('WHERE')) core.where = p.expr();
  if (p.accept('GROUP')) {
    p.expect('BY');
    core.groupBy = [p.expr()];
    while (p.acceptPunct(',')) core.groupBy.push(p.expr());
  }
  if (p.accept('HAVING')) core.having = p.expr();
  return core;
}

function parseTail(p: Parser): SelectTail {
  const tail: SelectTail = { order: [], offset: 0 };
  if (p.accept('ORDER')) {
    p.expect('BY');
    do {
      const e = p.expr();
      const desc = p.accept('DESC');
      if (!desc) p.accept('ASC');
      tail.order.push({ e, desc });
    } while (p.acceptPunct(','));
  }
  if (p.accept('LIMIT')) {
    const a = p.number();
    if (p.acceptPunct(',')) {
      tail.offset = a;
      tail.limit = p.number();
    } else {
      tail.limit = a;
      if (p.accept('OFFSET')) tail.offset = p.number();
    }
  }
  return tail;
}

/** One SELECT of a UNION: bare, or in parentheses with its own ORDER BY and LIMIT. */
function parseUnionTerm(p: Parser, cx: EvalCtx, into: { target?: IntoTarget }): { core: SelectCore; tail: SelectTail } {
  if (p.acceptPunct('(')) {
    if (++p.depth > MAX_EXPR_DEPTH) throw new SqlError(1436, 'HY000', 'Thread stack overrun');
    const term = parseUnionTerm(p, cx, into);
    const tail = term.tail.order.length || term.tail.limit !== undefined ? term.tail : parseTail(p);
    p.expectPunct(')');
    p.depth--;
    return { core: term.core, tail };
  }
  p.expect('SELECT');
  return { core: parseCore(p, cx, into), tail: { order: [], offset: 0 } };
}

/** A whole SELECT: one SELECT or several joined by UNION, and the ORDER BY and LIMIT of the whole. */
interface SelectBody {
  terms: { core: SelectCore; tail: SelectTail }[];
  /** UNION ALL (true) or UNION [DISTINCT] before each term after the first. */
  all: boolean[];
  tail: SelectTail;
}

/** SELECT ... [UNION [ALL|DISTINCT] SELECT ...] [ORDER BY ...] [LIMIT ...], as a statement or a subquery. */
function parseSelectBody(p: Parser, cx: EvalCtx, into: { target?: IntoTarget }): SelectBody {
  const parenthesized = p.peek()?.text === '(';
  const first = parseUnionTerm(p, cx, into);
  const body: SelectBody = { terms: [first], all: [], tail: { order: [], offset: 0 } };
  if (p.kw() !== 'UNION') {
    if (!first.tail.order.length && first.tail.limit === undefined) first.tail = parseTail(p);
    readInto(p, into);
  }
  if (p.kw() === 'UNION') {
    // ORDER BY or LIMIT of a SELECT in a union needs parentheses (ER_WRONG_USAGE).
    if (!parenthesized && (first.tail.order.length || first.tail.limit !== undefined)) {
      throw new SqlError(1221, 'HY000', `Incorrect usage of UNION and ${first.tail.order.length ? 'ORDER BY' : 'LIMIT'}`);
    }
    while (p.accept('UNION')) {
      const isAll = p.accept('ALL');
      if (!isAll) p.accept('DISTINCT');
      body.terms.push(parseUnionTerm(p, cx, into));
      body.all.push(isAll);
    }
    body.tail = parseTail(p);
    readInto(p, into);
  }
  return body;
}

function evalSelectBody(body: SelectBody, cx: EvalCtx): { columns: ResultColumn[]; rows: Value[][] } {
  const first = body.terms[0]!;
  if (body.terms.length === 1) return evalCore(first.core, first.tail, cx);
  return evalUnion(body.terms.map((t) => evalCore(t.core, t.tail, cx)), body.all, body.tail, cx);
}

function runSelect(p: Parser, cx: EvalCtx): Executed {
  const into: { target?: IntoTarget } = {};
  const body = parseSelectBody(p, cx, into);
  if (p.accept('FOR')) while (!p.done) p.pos++;
  if (p.accept('LOCK')) while (!p.done) p.pos++;
  p.end();
  const { columns, rows: finalRows } = evalSelectBody(body, cx);
  const files: FileWrite[] = [];
  if (into.target) {
    const text = into.target.mode === 'dumpfile' ? toStr(finalRows[0]?.[0] ?? null) : finalRows.map((r) => r.map(toStr).join('\t')).join('\n') + (finalRows.length ? '\n' : '');
    files.push({ path: into.target.path, mode: into.target.mode, data: Buffer.from(text, /^[\x00-\xff]*$/.test(text) ? 'latin1' : 'utf8') });
    return { result: { kind: 'ok', affected: finalRows.length }, files };
  }
  return { result: { kind: 'rows', columns, rows: finalRows }, files };
}

/**
 * The rows of a UNION: each SELECT's rows in turn, at most MAX_RESULT_ROWS kept; a UNION [DISTINCT]
 * removes the duplicates of everything before it (as MySQL does with mixed UNION ALL and UNION), then
 * ORDER BY (result column names and ordinals) and LIMIT apply to the whole. Column names are the
 * first SELECT's.
 */
function evalUnion(parts: { columns: ResultColumn[]; rows: Value[][] }[], all: readonly boolean[], tail: SelectTail, cx: EvalCtx): { columns: ResultColumn[]; rows: Value[][] } {
  const width = parts[0]!.columns.length;
  if (parts.some((q) => q.columns.length !== width)) {
    throw new SqlError(1222, '21000', 'The used SELECT statements have a different number of columns', { number: 205, severity: 16, message: 'All queries combined using a UNION, INTERSECT or EXCEPT operator must have an equal number of expressions in their target lists.' });
  }
  let rows = parts[0]!.rows.slice(0, MAX_RESULT_ROWS);
  parts.slice(1).forEach((q, i) => {
    rows = rows.concat(q.rows.slice(0, Math.max(0, MAX_RESULT_ROWS - rows.length)));
    if (!all[i]) {
      const seen = new Set<string>();
      rows = rows.filter((r) => {
        const k = JSON.stringify(r.map((v) => (typeof v === 'string' ? v.toLowerCase() : v)));
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
  });
  const columns = parts[0]!.columns.map((c, i) => ({ name: c.name, kind: unionKind(rows, i, cx.session.dialect) }));
  if (tail.order.length) {
    const index = new Map<string, number>();
    columns.forEach((c, i) => {
      if (!index.has(c.name.toLowerCase())) index.set(c.name.toLowerCase(), i);
    });
    const keyed = rows.map((values) => ({
      values,
      keys: tail.order.map((ob) => (ob.e.t === 'lit' && typeof ob.e.v === 'number' ? (values[ob.e.v - 1] ?? null) : evalExpr(ob.e, { index, values }, cx))),
    }));
    keyed.sort((a, b) => compareKeys(a.keys, b.keys, tail.order));
    rows = keyed.map((k) => k.values);
  }
  return { columns, rows: rows.slice(tail.offset, tail.offset + Math.min(tail.limit ?? MAX_RESULT_ROWS, MAX_RESULT_ROWS)) };
}

/**
 * A union column's type: int when every value is an integer, decimal when every value is a number,
 * text otherwise. T-SQL converts to the type of higher precedence (int over varchar), so a text value
 * that is not a number fails there as SQL Server's Msg 245 does.
 */
function unionKind(rows: readonly Value[][], i: number, dialect: 'mysql' | 'tsql'): ColumnKind {
  let numbers = 0;
  let integers = 0;
  let text: string | undefined;
  for (const r of rows) {
    const v = r[i] ?? null;
    if (typeof v === 'number') {
      numbers++;
      if (Number.isInteger(v)) integers++;
    } else if (v !== null && !NUMERIC_TEXT.test(v.trim())) text ??= v;
  }
  if (dialect === 'tsql' && numbers && text !== undefined) throw conversionFailed(text, integers === numbers ? 'int' : 'numeric');
  if (text !== undefined || rows.some((r) => typeof r[i] === 'string')) return dialect === 'tsql' && numbers ? (integers === numbers ? 'int' : 'decimal') : 'text';
  return numbers && integers === numbers ? 'int' : numbers ? 'decimal' : 'text';
}

function compareKeys(a: readonly Value[], b: readonly Value[], order: readonly { desc: boolean }[]): number {
  for (let i = 0; i < order.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    const c = x === null ? (y === null ? 0 : -1) : y === null ? 1 : compare(x, y)!;
    if (c !== 0) return order[i]!.desc ? -c : c;
  }
  return 0;
}

/** One SELECT's result: WHERE, grouping, HAVING, ORDER BY, DISTINCT and LIMIT (or TOP). */
function evalCore(core: SelectCore, tail: SelectTail, cx: EvalCtx): { columns: ResultColumn[]; rows: Value[][] } {
  const { src, alias, where, groupBy, having, items, distinct, top } = core;
  const { order, limit, offset } = tail;
  const index = src ? rowIndex(src.columns, alias, src.table) : new Map<string, number>();
  const sourceRows = src ? src.rows : [[]];
  let rows: Row[];
  if (where) {
    // WHERE is evaluated on one reused row; only the rows that pass get their own.
    rows = [];
    const probe: Row = { index, values: [] };
    for (const values of sourceRows) {
      probe.values = values;
      if (truthy(evalExpr(where, probe, cx))) rows.push({ index, values });
    }
  } else rows = sourceRows.map((values) => ({ index, values }));

  // Expand * into the source's columns.
  const expanded: SelectItem[] = [];
  for (const it of items) {
    if (it.e.t === 'star') {
      if (!src) throw new SqlError(1096, 'HY000', 'No tables used');
      src.columns.forEach((c) => expanded.push({ e: { t: 'col', name: c.name }, text: c.name }));
    } else expanded.push(it);
  }
  const aggregate = groupBy !== undefined || expanded.some((it) => isAggregate(it.e));

  // Projection is lazy: only the rows that survive ORDER BY and LIMIT are computed (ordinal and
  // alias sort keys project the rows they need).
  let outRows: { out: Value[] | undefined; row: Row | undefined; group?: Row[] }[];
  const project = (o: { out: Value[] | undefined; row: Row | undefined }): Value[] => (o.out ??= expanded.map((it) => evalExpr(it.e, o.row, cx)));
  if (aggregate) {
    const groups = new Map<string, Row[]>();
    if (groupBy) {
      for (const r of rows) {
        const key = JSON.stringify(groupBy.map((g) => evalExpr(g, r, cx)));
        const list = groups.get(key);
        if (list) list.push(r);
        else if (groups.size < MAX_RESULT_ROWS) groups.set(key, [r]);
      }
    } else groups.set('', rows);
    outRows = [...groups.values()].map((g) => {
      const gcx = { ...cx, group: g };
      return { out: expanded.map((it) => evalExpr(it.e, g[0] ?? (src ? { index, values: [] } : undefined), gcx)), row: g[0], group: g };
    });
    if (having) {
      const h = having;
      outRows = outRows.filter((o) => truthy(evalExpr(h, o.row, { ...cx, ...(o.group ? { group: o.group } : {}) })));
    }
  } else {
    outRows = rows.map((r) => ({ out: undefined, row: r }));
  }

  if (order.length) {
    const keyed = outRows.map((o) => ({
      o,
      keys: order.map((ob) => {
        // ORDER BY 2 means the second select item; ORDER BY alias the aliased item.
        if (ob.e.t === 'lit' && typeof ob.e.v === 'number') return project(o)[ob.e.v - 1] ?? null;
        if (ob.e.t === 'col' && !ob.e.table) {
          const name = ob.e.name.toLowerCase();
          const i = expanded.findIndex((it) => it.alias?.toLowerCase() === name);
          if (i >= 0) return project(o)[i] ?? null;
        }
        return evalExpr(ob.e, o.row, o.group ? { ...cx, group: o.group } : cx);
      }),
    }));
    keyed.sort((a, b) => compareKeys(a.keys, b.keys, order));
    outRows = keyed.map((k) => k.o);
  }
  if (distinct) {
    const seen = new Set<string>();
    outRows = outRows.filter((o) => {
      const k = JSON.stringify(project(o));
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }
  const cap = Math.min(limit ?? top ?? MAX_RESULT_ROWS, top ?? MAX_RESULT_ROWS, MAX_RESULT_ROWS);
  const finalRows = outRows.slice(offset, offset + cap).map(project);

  const columns: ResultColumn[] = expanded.map((it, i) => {
    const fromTable = it.e.t === 'col' && src ? src.columns.find((c) => c.name.toLowerCase() === (it.e as { name: string }).name.toLowerCase()) : undefined;
    const name = it.alias ?? (it.e.t === 'col' ? (fromTable?.name ?? it.e.name) : it.e.t === 'sysvar' && cx.session.dialect === 'tsql' ? '' : it.text);
    return { name, kind: fromTable?.kind ?? kindOf(finalRows[0]?.[i]), ...(fromTable && src ? { table: src.table, schema: src.schema } : {}) };
  });
  return { columns, rows: finalRows };
}

function likeFilter(p: Parser, cx: EvalCtx, values: string[]): string[] {
  if (p.accept('LIKE')) {
    const t = p.peek();
    if (t?.kind !== 'string') throw p.fail();
    p.pos++;
    const re = likeRegex(t.text.slice(0, 1024));
    return values.filter((v) => re.test(v));
  }
  if (p.accept('WHERE')) {
    const e = p.expr();
    return values.filter((v) => {
      try {
        return truthy(evalExpr(e, { index: new Map([['variable_name', 0], ['database', 0], ['value', 1]]), values: [v, null] }, cx));
      } catch {
        return false;
      }
    });
  }
  return values;
}

function rowsResult(names: string[], rows: Value[][]): Result {
  return { kind: 'rows', columns: names.map((n, i) => ({ name: n, kind: kindOf(rows[0]?.[i]) })), rows };
}

function describeTable(view: ReadonlyMap<string, Database>, ref: { db?: string; name: string }, s: SessionInfo, full: boolean): Result {
  const dbName = ref.db ?? s.database;
  if (dbName === undefined) throw noDb();
  const db = findDb(view, dbName);
  if (!db) throw new SqlError(1049, '42000', `Unknown database '${dbName}'`);
  const t = findTable(db, ref.name);
  if (!t) throw new SqlError(1146, '42S02', `Table '${db.name}.${ref.name}' doesn't exist`);
  const rows = t.columns.map((c) => {
    const base: Value[] = [c.name, c.sqlType];
    if (full) base.push(c.kind === 'text' ? 'utf8mb4_0900_ai_ci' : null);
    base.push(c.nullable === false ? 'NO' : 'YES', c.key ?? '', null, c.autoIncrement ? 'auto_increment' : '');
    if (full) base.push('select,insert,update,references', '');
    return base;
  });
  return rowsResult(full ? ['Field', 'Type', 'Collation', 'Null', 'Key', 'Default', 'Extra', 'Privileges', 'Comment'] : ['Field', 'Type', 'Null', 'Key', 'Default', 'Extra'], rows);
}

function createTableText(t: Table): string {
  const lines = t.columns.map((c) => `  \`${c.name}\` ${c.sqlType}${c.nullable === false ? ' NOT NULL' : ' DEFAULT NULL'}${c.autoIncrement ? ' AUTO_INCREMENT' : ''}`);
  const pk = t.columns.find((c) => c.key === 'PRI');
  if (pk) lines.push(`  PRIMARY KEY (\`${pk.name}\`)`);
  for (const c of t.columns.filter((x) => x.key === 'UNI')) lines.push(`  UNIQUE KEY \`${c.name}\` (\`${c.name}\`)`);
  for (const c of t.columns.filter((x) => x.key === 'MUL')) lines.push(`  KEY \`idx_${c.name}\` (\`${c.name}\`)`);
  return `CREATE TABLE \`${t.name}\` (\n${lines.join(',\n')}\n) ENGINE=InnoDB AUTO_INCREMENT=${t.autoIncrement} DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci`;
}

function runShow(p: Parser, cx: EvalCtx): Result {
  p.expect('SHOW');
  const s = cx.session;
  const view = cx.view.read();
  const full = p.accept('FULL');
  // SHOW GLOBAL/SESSION VARIABLES and STATUS answer the same here.
  if (!p.accept('GLOBAL') && !p.accept('SESSION')) p.accept('LOCAL');
  const what = p.kw();
  p.pos++;
  switch (what) {
    case 'DATABASES':
    case 'SCHEMAS': {
      // mysqld lists databases and tables sorted by name (information_schema keeps creation order).
      const names = likeFilter(p, cx, [...view.values()].map((d) => d.name)).sort();
      p.end();
      return rowsResult(['Database'], names.map((n) => [n]));
    }
    case 'TABLES': {
      let dbName = s.database;
      if (p.accept('FROM') || p.accept('IN')) dbName = p.name();
      if (dbName === undefined) throw noDb();
      const db = findDb(view, dbName);
      if (!db) throw new SqlError(1049, '42000', `Unknown database '${dbName}'`);
      const names = likeFilter(p, cx, [...db.tables.values()].map((t) => t.name)).sort();
      p.end();
      return rowsResult(full ? [`Tables_in_${db.name}`, 'Table_type'] : [`Tables_in_${db.name}`], names.map((n) => (full ? [n, 'BASE TABLE'] : [n])));
    }
    case 'COLUMNS':
    case 'FIELDS': {
      if (!p.accept('FROM')) p.expect('IN');
      const ref = p.qualified();
      if (p.accept('FROM') || p.accept('IN')) ref.db = p.name();
      const r = describeTable(view, ref, s, full);
      if (r.kind === 'rows' && (p.kw() === 'LIKE' || p.kw() === 'WHERE')) {
        const keep = new Set(likeFilter(p, cx, r.rows.map((x) => String(x[0]))));
        r.rows = r.rows.filter((x) => keep.has(String(x[0])));
      }
      p.end();
      return r;
    }
    case 'VARIABLES': {
      const names = likeFilter(p, cx, Object.keys(s.variables).filter((k) => !k.includes('.')).sort());
      p.end();
      return rowsResult(['Variable_name', 'Value'], names.map((n) => [n, s.variables[n] ?? '']));
    }
    case 'STATUS': {
      const status = mysqlStatus(serverUptimeS(s.startedMs, s.now()), s.tls);
      const names = likeFilter(p, cx, Object.keys(status));
      p.end();
      return rowsResult(['Variable_name', 'Value'], names.map((n) => [n, status[n] ?? '']));
    }
    case 'GRANTS':
      while (!p.done) p.pos++;
      return rowsResult([`Grants for ${s.user}@%`], [[`GRANT ALL PRIVILEGES ON *.* TO \`${s.user}\`@\`%\` WITH GRANT OPTION`]]);
    case 'PROCESSLIST':
      p.end();
      return rowsResult(['Id', 'User', 'Host', 'db', 'Command', 'Time', 'State', 'Info'], processRows(s));
    case 'CREATE': {
      if (p.accept('DATABASE') || p.accept('SCHEMA')) {
        const n = p.name();
        p.end();
        const db = findDb(view, n);
        if (!db) throw new SqlError(1049, '42000', `Unknown database '${n}'`);
        return rowsResult(['Database', 'Create Database'], [[db.name, `CREATE DATABASE \`${db.name}\` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci */ /*!80016 DEFAULT ENCRYPTION='N' */`]]);
      }
      p.expect('TABLE');
      const ref = p.qualified();
      p.end();
      const dbName = ref.db ?? s.database;
      if (dbName === undefined) throw noDb();
      const db = findDb(view, dbName);
      const t = db && findTable(db, ref.name);
      if (!db || !t) throw new SqlError(1146, '42S02', `Table '${dbName}.${ref.name}' doesn't exist`);
      return rowsResult(['Table', 'Create Table'], [[t.name, createTableText(t)]]);
    }
    case 'WARNINGS':
    case 'ERRORS':
      while (!p.done) p.pos++;
      return rowsResult(['Level', 'Code', 'Message'], []);
    case 'ENGINES':
      p.end();
      return rowsResult(['Engine', 'Support', 'Comment', 'Transactions', 'XA', 'Savepoints'], [
        ['InnoDB', 'DEFAULT', 'Supports transactions, row-level locking, and foreign keys', 'YES', 'YES', 'YES'],
        ['MyISAM', 'YES', 'MyISAM storage engine', 'NO', 'NO', 'NO'],
        ['MEMORY', 'YES', 'Hash based, stored in memory, useful for temporary tables', 'NO', 'NO', 'NO'],
        ['CSV', 'YES', 'CSV storage engine', 'NO', 'NO', 'NO'],
      ]);
    case 'PLUGINS':
      p.end();
      return rowsResult(['Name', 'Status', 'Type', 'Library', 'License'], [
        ['binlog', 'ACTIVE', 'STORAGE ENGINE', null, 'GPL'],
        ['mysql_native_password', 'ACTIVE', 'AUTHENTICATION', null, 'GPL'],
        ['caching_sha2_password', 'ACTIVE', 'AUTHENTICATION', null, 'GPL'],
        ['InnoDB', 'ACTIVE', 'STORAGE ENGINE', null, 'GPL'],
      ]);
    case 'MASTER':
    case 'SLAVE':
    case 'REPLICA':
    case 'BINARY':
      while (!p.done) p.pos++;
      return rowsResult(['File', 'Position'], []);
    case 'TABLE': {
      p.expect('STATUS');
      let dbName = s.database;
      if (p.accept('FROM') || p.accept('IN')) dbName = p.name();
      if (dbName === undefined) throw noDb();
      const db = findDb(view, dbName);
      if (!db) throw new SqlError(1049, '42000', `Unknown database '${dbName}'`);
      const names = likeFilter(p, cx, [...db.tables.keys()]);
      p.end();
      return rowsResult(['Name', 'Engine', 'Version', 'Row_format', 'Rows', 'Auto_increment'], names.map((n) => [n, 'InnoDB', 10, 'Dynamic', db.tables.get(n)?.rows.length ?? 0, db.tables.get(n)?.autoIncrement ?? 1]));
    }
    default:
      throw syntaxError(p.sql, p.toks[p.pos - 1]?.pos ?? 0);
  }
}

function writableTable(cx: EvalCtx, ref: { db?: string; name: string }): { db: Database; table: Table } {
  const dbName = ref.db ?? cx.session.database;
  if (dbName === undefined) throw noDb();
  // Read first so a missing table errors without copying the decoy.
  const rdb = findDb(cx.view.read(), dbName);
  if (!rdb) throw new SqlError(1049, '42000', `Unknown database '${dbName}'`);
  if (!findTable(rdb, ref.name)) throw new SqlError(1146, '42S02', `Table '${rdb.name}.${ref.name}' doesn't exist`);
  const db = findDb(cx.view.write(), dbName)!;
  const t = findTable(db, ref.name)!;
  return { db, table: t };
}

function coerce(v: Value, c: TableColumn | undefined): Value {
  if (v === null || !c) return v;
  if (c.kind === 'int') return Math.trunc(toNum(v));
  if (c.kind === 'decimal') return toNum(v).toFixed(2);
  // The cell outlives the statement (in the source's decoy copy): a copy, not a view into the value.
  return flatCopy(toStr(v).slice(0, MAX_TEXT_CELL_CHARS));
}

function runInsert(p: Parser, cx: EvalCtx): Result {
  if (!p.accept('INSERT')) p.expect('REPLACE');
  p.accept('IGNORE');
  p.accept('INTO');
  const ref = p.qualified();
  const { table } = writableTable(cx, ref);
  let cols: number[] = table.columns.map((_, i) => i);
  const rowsIn: Value[][] = [];
  const byName = (n: string): number => {
    const i = table.columns.findIndex((c) => c.name.toLowerCase() === n.toLowerCase());
    if (i < 0) throw new SqlError(1054, '42S22', `Unknown column '${n}' in 'field list'`);
    return i;
  };
  if (p.accept('SET')) {
    cols = [];
    const vals: Value[] = [];
    do {
      cols.push(byName(p.name()));
      p.expectPunct('=');
      vals.push(evalExpr(p.expr(), undefined, cx));
    } while (p.acceptPunct(','));
    rowsIn.push(vals);
  } else {
    if (p.acceptPunct('(')) {
      cols = [];
      if (!p.acceptPunct(')')) {
        do cols.push(byName(p.name()));
        while (p.acceptPunct(','));
        p.expectPunct(')');
      }
    }
    if (!p.accept('VALUES')) p.expect('VALUE');
    do {
      p.expectPunct('(');
      const vals: Value[] = [];
      if (!p.acceptPunct(')')) {
        do vals.push(evalExpr(p.expr(), undefined, cx));
        while (p.acceptPunct(','));
        p.expectPunct(')');
      }
      if (vals.length !== cols.length) throw new SqlError(1136, '21S01', `Column count doesn't match value count at row ${rowsIn.length + 1}`);
      rowsIn.push(vals);
    } while (p.acceptPunct(','));
  }
  if (p.accept('ON')) while (!p.done) p.pos++;
  p.end();
  if (table.rows.length + rowsIn.length > MAX_ROWS_PER_TABLE) throw new SqlError(1114, 'HY000', `The table '${table.name}' is full`);
  let insertId = 0;
  const added = rowsIn.map((vals) => {
    const row: Value[] = table.columns.map(() => null);
    cols.forEach((ci, k) => (row[ci] = coerce(vals[k] ?? null, table.columns[ci])));
    table.columns.forEach((c, i) => {
      if (c.autoIncrement && (row[i] === null || row[i] === 0)) {
        row[i] = table.autoIncrement;
        if (!insertId) insertId = table.autoIncrement;
      }
      if (c.autoIncrement && typeof row[i] === 'number') table.autoIncrement = nextAutoIncrement(table.autoIncrement, row[i] as number);
    });
    return row;
  });
  if (!chargeRows(cx, added)) throw new SqlError(1114, 'HY000', `The table '${table.name}' is full`);
  table.rows = table.rows.concat(added);
  return { kind: 'ok', affected: added.length, ...(insertId ? { insertId } : {}), ...(added.length > 1 ? { info: `Records: ${added.length}  Duplicates: 0  Warnings: 0` } : {}) };
}

/** The AUTO_INCREMENT counter after a row took ID: past it, and never past MAX_AUTO_INCREMENT (NaN leaves it). */
function nextAutoIncrement(counter: number, id: number): number {
  return id >= counter ? Math.min(MAX_AUTO_INCREMENT, Math.floor(id) + 1) : counter;
}

/** Charges the approximate size of ROWS to the view's write budget. */
function chargeRows(cx: EvalCtx, rows: readonly Value[][]): boolean {
  let bytes = 0;
  for (const r of rows) for (const v of r) bytes += typeof v === 'string' ? v.length * 2 + 16 : 16;
  return charge(cx, bytes);
}

/** What a new database or table costs the write budget before its names (a column costs a quarter). */
const DDL_BYTES = 256;

/** Charges BYTES to the view's write budget; false when it is spent. Views without a budget accept everything. */
function charge(cx: EvalCtx, bytes: number): boolean {
  return cx.view.charge ? cx.view.charge(bytes) : true;
}

function limitClause(p: Parser): number | undefined {
  if (!p.accept('LIMIT')) return undefined;
  return p.number();
}

function runUpdate(p: Parser, cx: EvalCtx): Result {
  p.expect('UPDATE');
  p.accept('LOW_PRIORITY');
  p.accept('IGNORE');
  const ref = p.qualified();
  const { table } = writableTable(cx, ref);
  p.expect('SET');
  const sets: { i: number; e: Expr }[] = [];
  do {
    const n = p.name();
    const col = p.acceptPunct('.') ? p.name() : n;
    const i = table.columns.findIndex((c) => c.name.toLowerCase() === col.toLowerCase());
    if (i < 0) throw new SqlError(1054, '42S22', `Unknown column '${col}' in 'field list'`);
    p.expectPunct('=');
    sets.push({ i, e: p.expr() });
  } while (p.acceptPunct(','));
  const where = p.accept('WHERE') ? p.expr() : undefined;
  const limit = limitClause(p);
  p.end();
  const index = rowIndex(table.columns.map((c) => ({ name: c.name, kind: c.kind })), undefined, table.name);
  let matched = 0;
  let changed = 0;
  table.rows = table.rows.map((values) => {
    if (limit !== undefined && matched >= limit) return values;
    const r = { index, values };
    if (where && !truthy(evalExpr(where, r, cx))) return values;
    matched++;
    const next = values.slice();
    for (const s of sets) next[s.i] = coerce(evalExpr(s.e, r, cx), table.columns[s.i]);
    if (!chargeRows(cx, [next])) throw new SqlError(1114, 'HY000', `The table '${table.name}' is full`);
    if (next.some((v, i) => v !== values[i])) changed++;
    return next;
  });
  return { kind: 'ok', affected: changed, info: `Rows matched: ${matched}  Changed: ${changed}  Warnings: 0` };
}

function runDelete(p: Parser, cx: EvalCtx): Result {
  p.expect('DELETE');
  p.accept('LOW_PRIORITY');
  p.accept('QUICK');
  p.accept('IGNORE');
  p.expect('FROM');
  const ref = p.qualified();
  const { table } = writableTable(cx, ref);
  const where = p.accept('WHERE') ? p.expr() : undefined;
  const limit = limitClause(p);
  p.end();
  const index = rowIndex(table.columns.map((c) => ({ name: c.name, kind: c.kind })), undefined, table.name);
  let removed = 0;
  table.rows = table.rows.filter((values) => {
    if (limit !== undefined && removed >= limit) return true;
    if (where && !truthy(evalExpr(where, { index, values }, cx))) return true;
    removed++;
    return false;
  });
  return { kind: 'ok', affected: removed };
}

function columnKindFor(type: string): ColumnKind {
  const t = type.toLowerCase();
  if (/int|bit|bool/.test(t)) return 'int';
  if (/dec|num|float|double|real|money/.test(t)) return 'decimal';
  if (/date|time/.test(t)) return 'datetime';
  return 'text';
}

function runCreate(p: Parser, cx: EvalCtx): Result {
  p.expect('CREATE');
  p.accept('OR') && p.accept('REPLACE');
  p.accept('TEMPORARY');
  if (p.accept('DATABASE') || p.accept('SCHEMA')) {
    const ifNot = p.accept('IF') && (p.expect('NOT'), p.expect('EXISTS'), true);
    const name = flatCopy(p.name().slice(0, MAX_IDENTIFIER_CHARS));
    while (!p.done) p.pos++;
    if (findDb(cx.view.read(), name)) {
      if (ifNot) return { kind: 'ok', affected: 0 };
      throw new SqlError(1007, 'HY000', `Can't create database '${name}'; database exists`);
    }
    const w = cx.view.write();
    if (w.size >= MAX_DATABASES || !charge(cx, DDL_BYTES + name.length * 2)) throw new SqlError(1006, 'HY000', `Can't create database '${name}' (errno: 28 - No space left on device)`);
    w.set(name, { name, tables: new Map() });
    return { kind: 'ok', affected: 1 };
  }
  if (p.accept('TABLE')) {
    const ifNot = p.accept('IF') && (p.expect('NOT'), p.expect('EXISTS'), true);
    const ref = p.qualified();
    const dbName = ref.db ?? cx.session.database;
    if (dbName === undefined) throw noDb();
    const rdb = findDb(cx.view.read(), dbName);
    if (!rdb) throw new SqlError(1049, '42000', `Unknown database '${dbName}'`);
    if (findTable(rdb, ref.name)) {
      while (!p.done) p.pos++;
      if (ifNot) return { kind: 'ok', affected: 0 };
      throw new SqlError(1050, '42S01', `Table '${ref.name}' already exists`);
    }
    const columns: TableColumn[] = [];
    if (p.acceptPunct('(')) {
      let depth = 1;
      let itemStart = true;
      while (!p.done && depth > 0) {
        const t = p.peek()!;
        if (itemStart && depth === 1 && (t.kind === 'ident' || t.kind === 'qident') && !['PRIMARY', 'KEY', 'INDEX', 'UNIQUE', 'CONSTRAINT', 'FOREIGN', 'FULLTEXT', 'CHECK'].includes(t.upper)) {
          const typeTok = p.peek(1);
          if (columns.length < MAX_COLUMNS_PER_TABLE) {
            // Names are tokens, views into the statement text: the table keeps copies.
            const sqlType = flatCopy((typeTok?.text ?? 'text').toLowerCase().slice(0, MAX_COLUMN_TYPE_CHARS));
            columns.push({ name: flatCopy(t.text.slice(0, MAX_IDENTIFIER_CHARS)), kind: columnKindFor(typeTok?.text ?? ''), sqlType, nullable: true });
          }
        }
        itemStart = false;
        if (t.text === '(') depth++;
        else if (t.text === ')') depth--;
        else if (t.text === ',' && depth === 1) itemStart = true;
        p.pos++;
      }
    }
    while (!p.done) p.pos++;
    const db = findDb(cx.view.write(), dbName)!;
    if (db.tables.size >= MAX_TABLES) throw new SqlError(1114, 'HY000', `The table '${ref.name}' is full`);
    const name = flatCopy(ref.name.slice(0, MAX_IDENTIFIER_CHARS));
    // Tables and their columns count against the source's write budget like rows.
    let bytes = DDL_BYTES + name.length * 2;
    for (const c of columns) bytes += DDL_BYTES / 4 + (c.name.length + c.sqlType.length) * 2;
    if (!charge(cx, bytes)) throw new SqlError(1005, 'HY000', `Can't create table \`${dbName}\`.\`${name}\` (errno: 28 "No space left on device")`);
    db.tables.set(name, { name, columns, rows: [], autoIncrement: 1 });
    return { kind: 'ok', affected: 0 };
  }
  // CREATE FUNCTION ... SONAME, USER, INDEX, VIEW, TRIGGER, PROCEDURE: accepted as a real server
  // with the privileges would; the caller records the attack moves.
  while (!p.done) p.pos++;
  return { kind: 'ok', affected: 0 };
}

function runDrop(p: Parser, cx: EvalCtx): Result {
  p.expect('DROP');
  p.accept('TEMPORARY');
  if (p.accept('DATABASE') || p.accept('SCHEMA')) {
    const ifEx = p.accept('IF') && (p.expect('EXISTS'), true);
    const name = p.name();
    p.end();
    const found = findDb(cx.view.read(), name);
    if (!found) {
      if (ifEx) return { kind: 'ok', affected: 0 };
      throw new SqlError(1008, 'HY000', `Can't drop database '${name}'; database doesn't exist`);
    }
    if (found.name === 'information_schema') throw new SqlError(1044, '42000', `Access denied for user '${cx.session.user}'@'%' to database 'information_schema'`);
    cx.view.write().delete(found.name);
    return { kind: 'ok', affected: found.tables.size };
  }
  if (p.accept('TABLE') || p.accept('TABLES')) {
    const ifEx = p.accept('IF') && (p.expect('EXISTS'), true);
    const refs = [p.qualified()];
    while (p.acceptPunct(',')) refs.push(p.qualified());
    while (!p.done) p.pos++;
    for (const ref of refs) {
      const dbName = ref.db ?? cx.session.database;
      if (dbName === undefined) throw noDb();
      const rdb = findDb(cx.view.read(), dbName);
      const t = rdb && findTable(rdb, ref.name);
      if (!rdb || !t) {
        if (ifEx) continue;
        throw new SqlError(1051, '42S02', `Unknown table '${dbName}.${ref.name}'`);
      }
      findDb(cx.view.write(), dbName)!.tables.delete(t.name);
    }
    return { kind: 'ok', affected: 0 };
  }
  while (!p.done) p.pos++;
  return { kind: 'ok', affected: 0 };
}

function runSet(p: Parser, cx: EvalCtx): Result {
  p.expect('SET');
  do {
    const t = p.peek();
    if (t?.kind === 'var') {
      p.pos++;
      if (!p.acceptPunct('=')) p.expectPunct(':=');
      if (t.text.length > MAX_USER_VAR_NAME_CHARS[cx.session.dialect]) throw new SqlError(3061, '42000', `User variable name '${t.text.slice(0, 100)}' is illegal`);
      setUserVar(cx.session.userVars, t.text, evalExpr(p.expr(), undefined, cx));
      continue;
    }
    // SET NAMES x, SET autocommit=1, SET GLOBAL general_log_file='...', SET @@session.x=...:
    // accepted; the values do not matter to the decoy.
    while (!p.done && p.peek()?.text !== ',') {
      if (p.peek()?.text === '(') {
        let d = 0;
        do {
          const x = p.peek()!.text;
          if (x === '(') d++;
          else if (x === ')') d--;
          p.pos++;
        } while (!p.done && d > 0);
      } else p.pos++;
    }
  } while (p.acceptPunct(','));
  return { kind: 'ok', affected: 0 };
}

const NO_OP_STATEMENTS = new Set(['BEGIN', 'COMMIT', 'ROLLBACK', 'START', 'LOCK', 'UNLOCK', 'FLUSH', 'GRANT', 'REVOKE', 'ALTER', 'RENAME', 'KILL', 'ANALYZE', 'OPTIMIZE', 'REPAIR', 'CHECK', 'INSTALL', 'UNINSTALL', 'RESET', 'PURGE', 'SAVEPOINT', 'RELEASE', 'XA', 'DO', 'HANDLER', 'CALL', 'PREPARE', 'EXECUTE', 'DEALLOCATE', 'LOAD', 'TRUNCATE']);

/**
 * Runs one statement (no trailing semicolon) against VIEW for SESSION. Never throws: every failure is
 * an error result with MySQL's code, state and wording.
 */
/**
 * Runs one statement. WORK counts the characters function calls produced (MAX_STATEMENT_WORK_CHARS):
 * the statements of one query or batch share it, so 64 of them cannot each spend the whole budget.
 */
export function execute(sql: string, session: SessionInfo, view: DataView, work: { chars: number } = { chars: 0 }): Executed {
  const lexed = lex(sql, session.dialect);
  if (!lexed.ok) {
    if (lexed.reason === 'statement too long') return { result: { kind: 'error', code: 1153, state: '08S01', message: "Got a packet bigger than 'max_allowed_packet' bytes" }, files: [] };
    return { result: { kind: 'error', ...errorFields(syntaxError(sql, lexed.pos)) }, files: [] };
  }
  const toks = lexed.tokens;
  if (toks.length === 0) return { result: { kind: 'error', code: 1065, state: '42000', message: 'Query was empty' }, files: [] };
  const p = new Parser(toks, sql, session.dialect);
  const cx: EvalCtx = { session, view, work, scan: { selects: 0, rows: 0 } };
  p.cx = cx;
  try {
    const first = p.kw();
    if (first === undefined && toks[0]!.text === '(' && p.kw(1) === 'SELECT') return runSelect(p, cx);
    switch (first) {
      case 'SELECT':
        return runSelect(p, cx);
      case 'SHOW':
        return { result: runShow(p, cx), files: [] };
      case 'USE': {
        p.pos++;
        const name = p.name();
        p.end();
        const db = findDb(view.read(), name);
        if (!db) throw new SqlError(1049, '42000', `Unknown database '${name}'`);
        return { result: { kind: 'ok', affected: 0 }, database: db.name, files: [] };
      }
      case 'DESCRIBE':
      case 'DESC':
      case 'EXPLAIN': {
        p.pos++;
        if (p.kw() === 'SELECT') return { result: rowsResult(['id', 'select_type', 'table', 'type', 'rows', 'Extra'], [[1, 'SIMPLE', null, null, null, 'No tables used']]), files: [] };
        const ref = p.qualified();
        if (p.peek()) p.pos++;
        p.end();
        return { result: describeTable(view.read(), ref, session, false), files: [] };
      }
      case 'SET':
        return { result: runSet(p, cx), files: [] };
      case 'INSERT':
      case 'REPLACE':
        return { result: runInsert(p, cx), files: [] };
      case 'UPDATE':
        return { result: runUpdate(p, cx), files: [] };
      case 'DELETE':
        return { result: runDelete(p, cx), files: [] };
      case 'CREATE':
        return { result: runCreate(p, cx), files: [] };
      case 'DROP':
        return { result: runDrop(p, cx), files: [] };
      default:
        if (first && NO_OP_STATEMENTS.has(first)) {
          if (first === 'TRUNCATE') {
            p.pos++;
            p.accept('TABLE');
            const { table } = writableTable(cx, p.qualified());
            table.rows = [];
            return { result: { kind: 'ok', affected: 0 }, files: [] };
          }
          return { result: { kind: 'ok', affected: 0 }, files: [] };
        }
        throw syntaxError(sql, toks[0]!.pos);
    }
  } catch (err) {
    if (err instanceof SqlError) return { result: { kind: 'error', ...errorFields(err) }, files: [] };
    if (err instanceof RangeError) return { result: { kind: 'error', code: 1436, state: 'HY000', message: 'Thread stack overrun' }, files: [] };
    // A bug in the engine must not become a crash an attacker can trigger: answer as mysqld's catch-all.
    return { result: { kind: 'error', code: 1105, state: 'HY000', message: 'Unknown error' }, files: [] };
  }
}

function errorFields(e: SqlError): { code: number; state: string; message: string; tsql?: TsqlMessage } {
  return { code: e.code, state: e.state, message: e.message, ...(e.tsql ? { tsql: e.tsql } : {}) };
}
