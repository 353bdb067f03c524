// CAST and CONVERT for the decoy engine: the target types MySQL 8.0 and SQL Server 2019 accept, and
// what each does to a value (MySQL bends a bad value to 0 or NULL; SQL Server fails with its own
// message, or answers NULL under TRY_CAST and TRY_CONVERT).
import type { Value } from './decoy-data.js';
import { conversionFailed, SqlError } from './sql-error.js';
import { fmtDate, toNum, toStr } from './values.js';

/** A CAST target: the type's name (lower-cased) and its length, precision and scale as written. */
export interface CastType {
  name: string;
  /** (n), (p, s); 'max' for (max). */
  args: (number | 'max')[];
}

/** The types MySQL 8.0's CAST and CONVERT take; any other (INT, VARCHAR...) is a syntax error there. */
export const MYSQL_CAST_TYPES = new Set(['binary', 'char', 'nchar', 'date', 'datetime', 'time', 'year', 'decimal', 'double', 'float', 'real', 'json', 'signed', 'unsigned']);

/** SQL Server 2019's system types; another name is Msg 243. */
export const TSQL_TYPES = new Set([
  'int', 'bigint', 'smallint', 'tinyint', 'bit', 'decimal', 'numeric', 'float', 'real', 'money', 'smallmoney',
  'varchar', 'nvarchar', 'char', 'nchar', 'text', 'ntext', 'sysname', 'xml', 'sql_variant',
  'date', 'datetime', 'datetime2', 'smalldatetime', 'time', 'datetimeoffset', 'uniqueidentifier', 'varbinary', 'binary',
]);

/** Most digits a DECIMAL keeps (MySQL's 65; SQL Server's 38 is checked as MySQL's here) and most after the point. */
const MAX_DECIMAL_PRECISION = 65;
const MAX_DECIMAL_SCALE = 30;
/** Deepest JSON a CAST(... AS JSON) accepts, as MySQL's limit. */
const MAX_JSON_DEPTH = 100;

/** SQL Server's Msg 243 for a type it does not have. */
export function unknownTsqlType(name: string): SqlError {
  const text = `Type ${name.slice(0, 128)} is not a defined system type.`;
  return new SqlError(1064, '42000', text, { number: 243, severity: 16, message: text });
}

function overflow(type: string, from = 'expression'): SqlError {
  const text = `Arithmetic overflow error converting ${from} to data type ${type}.`;
  return new SqlError(1690, '22003', text, { number: 8115, severity: 16, message: text });
}

// ---- MySQL ----

/** MySQL's CAST(v AS type): never fails for a bad value (0, NULL or the text cut), except JSON. */
export function castMysql(v: Value, t: CastType): Value {
  if (v === null) return null;
  const n = typeof t.args[0] === 'number' ? t.args[0] : undefined;
  switch (t.name) {
    case 'char':
    case 'nchar': {
      const s = toStr(v);
      return n === undefined ? s : s.slice(0, n);
    }
    case 'binary': {
      const s = toStr(v);
      return n === undefined ? s : s.length >= n ? s.slice(0, n) : s + '\0'.repeat(n - s.length);
    }
    case 'signed':
    case 'unsigned': {
      // Numbers round half away from zero; text keeps its leading integer ('12abc' is 12, 'abc' 0).
      let i: bigint;
      if (typeof v === 'number') i = Number.isFinite(v) ? BigInt(Math.sign(v) * Math.round(Math.abs(v))) : 0n;
      else i = BigInt(/^\s*([+-]?\d{1,20})/.exec(v)?.[1] ?? '0');
      const min = -(2n ** 63n);
      if (t.name === 'unsigned') i = i < 0n ? (i < min ? 2n ** 63n : 2n ** 64n + i) : i >= 2n ** 64n ? 2n ** 64n - 1n : i;
      else i = i < min ? min : i >= 2n ** 63n ? 2n ** 63n - 1n : i;
      return i >= BigInt(Number.MIN_SAFE_INTEGER) && i <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(i) : i.toString();
    }
    case 'decimal': {
      const p = n ?? 10;
      const s = typeof t.args[1] === 'number' ? t.args[1] : 0;
      return decimalText(toNum(v), p, s) ?? clampDecimal(toNum(v), p, s);
    }
    case 'double':
    case 'float':
    case 'real':
      return toNum(v);
    case 'year': {
      const y = Math.trunc(toNum(v));
      return y >= 1 && y <= 69 ? 2000 + y : y >= 70 && y <= 99 ? 1900 + y : y === 0 || (y >= 1901 && y <= 2155) ? y : null;
    }
    case 'date':
    case 'datetime':
    case 'time': {
      const d = parseDateTime(toStr(v));
      if (!d) return null;
      return t.name === 'date' ? d.date : t.name === 'time' ? d.time : `${d.date} ${d.time}`;
    }
    case 'json':
      return typeof v === 'number' ? toStr(v) : jsonText(v);
    default:
      return toStr(v);
  }
}

/** N with S decimals, or undefined when it has more integer digits than P - S allows. */
function decimalText(n: number, p: number, s: number): string | undefined {
  if (!Number.isFinite(n)) return undefined;
  const text = n.toFixed(Math.min(s, 100));
  const digits = text.replace(/^-/, '').split('.')[0]!.replace(/^0+/, '');
  return digits.length > p - s ? undefined : text;
}

/** The largest DECIMAL(P, S) of N's sign, as MySQL clamps an out-of-range value (with a warning). */
function clampDecimal(n: number, p: number, s: number): string {
  const body = `${'9'.repeat(p - s) || '0'}${s ? `.${'9'.repeat(s)}` : ''}`;
  return n < 0 ? `-${body}` : body;
}

/** A DECIMAL(P, S) target's precision and scale, refused as MySQL refuses them. */
export function checkDecimalArgs(t: CastType): void {
  const p = typeof t.args[0] === 'number' ? t.args[0] : 10;
  const s = typeof t.args[1] === 'number' ? t.args[1] : 0;
  if (p > MAX_DECIMAL_PRECISION) throw new SqlError(1426, '42000', `Too-big precision ${p} specified for 'CAST'. Maximum is ${MAX_DECIMAL_PRECISION}.`);
  if (s > MAX_DECIMAL_SCALE) throw new SqlError(1425, '42000', `Too big scale ${s} specified for 'CAST'. Maximum is ${MAX_DECIMAL_SCALE}.`);
  if (s > p) throw new SqlError(1427, '42000', "For float(M,D), double(M,D) or decimal(M,D), M must be >= D (column '').");
}

/** 'YYYY-MM-DD[ HH:MM[:SS[.fff]]]' (or YYYYMMDD) as a date and a time; undefined when it is no date. */
function parseDateTime(s: string): { date: string; time: string } | undefined {
  const m = /^\s*(\d{4})-?(\d{1,2})-?(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\.\d+)?)?\s*$/.exec(s.slice(0, 64));
  if (!m) return undefined;
  const [y, mo, d, h = 0, mi = 0, se = 0] = m.slice(1).map((x) => (x === undefined ? undefined : Number(x))) as number[];
  const day = new Date(0);
  day.setUTCFullYear(y!, mo! - 1, d!);
  if (day.getUTCMonth() !== mo! - 1 || day.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) return undefined;
  const p = (x: number, w = 2): string => String(x).padStart(w, '0');
  return { date: `${p(y!, 4)}-${p(mo!)}-${p(d!)}`, time: `${p(h)}:${p(mi)}:${p(se)}` };
}

class JsonTooDeep extends Error {}

/** MySQL's JSON text for TEXT: its own spacing ({"a": 1, "b": [1, 2]}); invalid JSON is error 3141. */
function jsonText(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SqlError(3141, '22032', 'Invalid JSON text in argument 1 to function cast_as_json: "Invalid value." at position 0.');
  }
  try {
    return jsonOut(parsed, 0);
  } catch (e) {
    if (e instanceof JsonTooDeep) throw new SqlError(3157, '22032', `The JSON document exceeds the maximum depth of ${MAX_JSON_DEPTH}.`);
    throw e;
  }
}

function jsonOut(v: unknown, depth: number): string {
  if (depth > MAX_JSON_DEPTH) throw new JsonTooDeep();
  if (Array.isArray(v)) return `[${v.map((x) => jsonOut(x, depth + 1)).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    // MySQL orders an object's keys by length, then bytewise.
    const keys = Object.keys(v).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonOut((v as Record<string, unknown>)[k], depth + 1)}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}

// ---- SQL Server ----

const INT_RANGES: Record<string, [number, number]> = {
  tinyint: [0, 255],
  smallint: [-32768, 32767],
  int: [-2147483648, 2147483647],
  bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/**
 * SQL Server's CAST/CONVERT of V to T. SOURCE names V's type in messages (varchar for a plain
 * literal, nvarchar for N'' literals, columns and system functions). Under TRY (TRY_CAST,
 * TRY_CONVERT) a value that does not convert is NULL; a type that does not exist still fails.
 */
export function castTsql(v: Value, t: CastType, source: 'varchar' | 'nvarchar', attempt: boolean): Value {
  if (v === null) return null;
  try {
    return convertTsql(v, t, source);
  } catch (e) {
    if (attempt && e instanceof SqlError && e.tsql && e.tsql.number !== 529) return null;
    throw e;
  }
}

function convertTsql(v: string | number, t: CastType, source: 'varchar' | 'nvarchar'): Value {
  const n = t.args[0];
  const range = INT_RANGES[t.name];
  if (range) {
    let i: number;
    if (typeof v === 'number') {
      i = Math.trunc(v);
      if (i < range[0] || i > range[1]) throw overflow(t.name);
    } else {
      const m = /^\s*([+-]?\d+)\s*$/.exec(v);
      if (!m) throw conversionFailed(v, t.name, source);
      i = Number(m[1]);
      if (i < range[0] || i > range[1]) {
        const text = `The conversion of the ${source} value '${v.slice(0, 1024)}' overflowed an ${t.name} column. Use a larger integer column.`;
        throw new SqlError(1690, '22003', text, { number: 248, severity: 16, message: text });
      }
    }
    return i === 0 ? 0 : i;
  }
  switch (t.name) {
    case 'bit': {
      if (typeof v === 'number') return v === 0 ? 0 : 1;
      const s = v.trim().toLowerCase();
      if (s === 'true') return 1;
      if (s === 'false') return 0;
      if (!/^[+-]?\d+(\.\d+)?$/.test(s)) throw conversionFailed(v, 'bit', source);
      return Number(s) === 0 ? 0 : 1;
    }
    case 'decimal':
    case 'numeric':
    case 'money':
    case 'smallmoney': {
      const p = typeof n === 'number' ? n : t.name === 'money' ? 19 : t.name === 'smallmoney' ? 10 : 18;
      const s = t.name === 'money' || t.name === 'smallmoney' ? 4 : typeof t.args[1] === 'number' ? t.args[1] : 0;
      if (typeof v === 'string' && !/^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/.test(v)) throw conversionFailed(v, t.name === 'decimal' ? 'numeric' : t.name, source);
      const text = decimalText(toNum(v), p, s);
      if (text === undefined) throw overflow(t.name === 'decimal' ? 'numeric' : t.name, typeof v === 'string' ? source : 'expression');
      return text;
    }
    case 'float':
    case 'real': {
      if (typeof v === 'string' && !/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) throw conversionFailed(v, t.name, source);
      return toNum(v);
    }
    case 'varchar':
    case 'nvarchar':
    case 'char':
    case 'nchar':
    case 'varbinary':
    case 'binary': {
      // Without a length CAST and CONVERT make 30 characters; (max) keeps all.
      const len = n === 'max' ? Infinity : (n ?? 30);
      const s = toStr(v);
      if (typeof v === 'number' && s.length > len) {
        // A number too long for the text: '*' in varchar, an overflow in nvarchar.
        if (t.name === 'varchar' || t.name === 'char') return '*';
        throw overflow(t.name);
      }
      const cut = s.length > len ? s.slice(0, len) : s;
      return (t.name === 'char' || t.name === 'nchar') && cut.length < len ? cut.padEnd(len, ' ') : cut;
    }
    case 'date':
    case 'datetime':
    case 'datetime2':
    case 'smalldatetime':
    case 'time':
    case 'datetimeoffset': {
      if (typeof v === 'number') {
        // int to datetime counts days from 1900-01-01; the newer types refuse it (Msg 529).
        if (t.name !== 'datetime' && t.name !== 'smalldatetime') {
          const text = `Explicit conversion from data type int to ${t.name} is not allowed.`;
          throw new SqlError(1105, 'HY000', text, { number: 529, severity: 16, message: text });
        }
        return `${fmtDate(new Date(Date.UTC(1900, 0, 1) + Math.trunc(v) * 86_400_000))}.000`;
      }
      const d = parseDateTime(v);
      if (!d) throw conversionFailed(v, t.name, source);
      if (t.name === 'date') return d.date;
      if (t.name === 'time') return `${d.time}.0000000`;
      return t.name === 'datetime2' ? `${d.date} ${d.time}.0000000` : t.name === 'smalldatetime' ? `${d.date} ${d.time.slice(0, 5)}:00` : `${d.date} ${d.time}.000`;
    }
    case 'uniqueidentifier': {
      const s = toStr(v).trim();
      if (!/^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i.test(s)) throw conversionFailed(s, 'uniqueidentifier', source);
      return s.replace(/[{}]/g, '').toUpperCase();
    }
    default:
      return toStr(v);
  }
}
