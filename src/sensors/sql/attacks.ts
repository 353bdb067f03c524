// Known attack moves in statements sent to the decoy databases: file writes and reads through the
// server, UDF (user-defined function) loading, OS command execution, binaries smuggled as hex.
// Pattern matching over the raw text, so moves are found even in statements the engine cannot parse.
import { flatCopy } from '../../wire/flat-copy.js';

/** Longest statement text scanned for attack moves (the start of a larger one is scanned). */
export const MAX_SCANNED_CHARS = 4 * 1024 * 1024;
/** Shortest hex literal (in bytes) treated as a smuggled payload. */
export const MIN_HEX_PAYLOAD_BYTES = 64;
/** Longest detail string kept on an event. */
export const MAX_DETAIL_CHARS = 2048;
/**
 * Moves of one name itemised per statement; past it one more move counts the rest. A batch of 20,000
 * xp_cmdshell calls was 20,000 moves, each an exploit.attempt, a command.input and a download, and
 * held the event loop for up to 1.2 s.
 */
export const MAX_MOVES_PER_NAME = 16;

export interface AttackMove {
  /** Stable name, e.g. `mysql.into_dumpfile`, `mssql.xp_cmdshell`. */
  name: string;
  detail: string;
  /** Bytes worth keeping in quarantine (a decoded hex payload). */
  payload?: Buffer;
  /** Command lines the move would run on the host. */
  commands?: string[];
}

/** S cut at MAX, as a copy: the statement it was cut from may be megabytes (see clipQuery). */
function clip(s: string, max = MAX_DETAIL_CHARS): string {
  return flatCopy(s.length > max ? `${s.slice(0, max)}...` : s);
}

/** A statement's moves: at most MAX_MOVES_PER_NAME of each name built, the rest counted. */
class Moves {
  private readonly list: AttackMove[] = [];
  private readonly seen = new Map<string, number>();

  /** Builds the move unless its name has had its share. */
  add(name: string, build: () => AttackMove): void {
    const n = (this.seen.get(name) ?? 0) + 1;
    this.seen.set(name, n);
    if (n <= MAX_MOVES_PER_NAME) this.list.push(build());
  }

  push(moves: readonly AttackMove[]): void {
    this.list.push(...moves);
  }

  /** The moves built, then one per name past its share counting the rest. */
  done(): AttackMove[] {
    for (const [name, n] of this.seen) {
      if (n > MAX_MOVES_PER_NAME) this.list.push({ name, detail: `${n - MAX_MOVES_PER_NAME} more in this statement, not itemised` });
    }
    return this.list;
  }
}

/** The string literal starting at I ('...' or "..." or N'...'), unescaped; undefined if none. */
function stringAt(s: string, i: number): string | undefined {
  let j = i;
  while (j < s.length && /\s/.test(s[j]!)) j++;
  if (s[j] === 'N' || s[j] === 'n') j++;
  const q = s[j];
  if (q !== "'" && q !== '"') return undefined;
  let out = '';
  for (let k = j + 1; k < s.length; k++) {
    const c = s[k]!;
    if (c === '\\' && k + 1 < s.length) {
      out += s[++k]!;
      continue;
    }
    if (c === q) {
      if (s[k + 1] === q) {
        out += q;
        k++;
        continue;
      }
      return out;
    }
    out += c;
    if (out.length > MAX_DETAIL_CHARS * 4) return out;
  }
  return out;
}

function describeBinary(b: Buffer): string {
  if (b.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return 'ELF';
  if (b[0] === 0x4d && b[1] === 0x5a) return 'PE (MZ)';
  if (b.subarray(0, 2).toString('latin1') === '#!') return 'script';
  if (/^<\?php/i.test(b.subarray(0, 5).toString('latin1'))) return 'PHP';
  return 'data';
}

/** Finds attack moves in a MySQL statement. */
export function detectMysqlAttacks(text: string): AttackMove[] {
  const sql = text.length > MAX_SCANNED_CHARS ? text.slice(0, MAX_SCANNED_CHARS) : text;
  // One scan for the words every move below needs; most statements have none of them.
  if (!MYSQL_MOVE_WORDS.test(sql)) return [];
  const out = new Moves();
  for (const m of sql.matchAll(/\binto\s+(outfile|dumpfile)\b/gi)) {
    const name = `mysql.into_${m[1]!.toLowerCase()}`;
    out.add(name, () => ({ name, detail: clip(`write ${stringAt(sql, m.index + m[0].length) ?? ''}`) }));
  }
  for (const m of sql.matchAll(/\bload_file\s*\(/gi)) {
    out.add('mysql.load_file', () => {
      const path = stringAt(sql, m.index + m[0].length);
      return { name: 'mysql.load_file', detail: clip(`read ${path ?? sql.slice(m.index + m[0].length, m.index + m[0].length + 200)}`) };
    });
  }
  for (const m of sql.matchAll(/\bload\s+data\s+(?:local\s+)?infile\b/gi)) {
    out.add('mysql.load_data_infile', () => ({ name: 'mysql.load_data_infile', detail: clip(`read ${stringAt(sql, m.index + m[0].length) ?? ''}`) }));
  }
  for (const m of sql.matchAll(/\bcreate\s+(?:aggregate\s+)?function\s+`?(\w{1,64})`?\s+returns\s+\w+\s+soname\s*/gi)) {
    out.add('mysql.udf_create', () => ({ name: 'mysql.udf_create', detail: clip(`function ${m[1]} from ${stringAt(sql, m.index + m[0].length) ?? '?'}`) }));
  }
  for (const m of sql.matchAll(/\b(sys_exec|sys_eval|do_system|lib_mysqludf_sys_info|cmdshell|shell_exec)\s*\(/gi)) {
    out.add('mysql.udf_exec', () => {
      const cmd = stringAt(sql, m.index + m[0].length);
      return { name: 'mysql.udf_exec', detail: clip(`${m[1]!.toLowerCase()}(${cmd ?? ''})`), ...(cmd ? { commands: [clip(cmd)] } : {}) };
    });
  }
  if (/\bgeneral_log_file\s*=/i.test(sql) || /\bslow_query_log_file\s*=/i.test(sql)) {
    const m = /\b(general_log_file|slow_query_log_file)\s*=\s*/i.exec(sql)!;
    out.push([{ name: 'mysql.log_file_redirect', detail: clip(`${m[1]!.toLowerCase()} = ${stringAt(sql, m.index + m[0].length) ?? ''}`) }]);
  }
  out.push(hexPayloads(sql, 'mysql'));
  return out.done();
}

/**
 * A substring each MySQL move needs (into outfile/dumpfile, load_file, load data, create function,
 * sys_exec/sys_eval/lib_mysqludf_sys_info, do_system, cmdshell, shell_exec, *_log_file, hex literals).
 */
const MYSQL_MOVE_WORDS = /into|load|function|sys_|do_system|cmdshell|shell_exec|log_file|0x|x'|unhex/i;

const HEX_PAYLOAD = new RegExp(
  `0x([0-9a-fA-F]{${MIN_HEX_PAYLOAD_BYTES * 2},})|[xX]'([0-9a-fA-F]{${MIN_HEX_PAYLOAD_BYTES * 2},})'|unhex\\s*\\(\\s*'([0-9a-fA-F]{${MIN_HEX_PAYLOAD_BYTES * 2},})'`,
  'g',
);

/** Hex literals (0x..., X'...', unhex('...')) long enough to be a smuggled file. */
function hexPayloads(sql: string, prefix: string): AttackMove[] {
  const out: AttackMove[] = [];
  for (const m of sql.matchAll(HEX_PAYLOAD)) {
    let hex = m[1] ?? m[2] ?? m[3] ?? '';
    if (hex.length % 2) hex = `0${hex}`;
    const payload = Buffer.from(hex, 'hex');
    out.push({ name: `${prefix}.hex_payload`, detail: `${payload.length} bytes, ${describeBinary(payload)}`, payload });
    if (out.length >= 8) break;
  }
  return out;
}

/** Finds attack moves in a T-SQL batch: xp_cmdshell, sp_configure, OLE automation, agent jobs. */
export function detectMssqlAttacks(text: string): AttackMove[] {
  const sql = text.length > MAX_SCANNED_CHARS ? text.slice(0, MAX_SCANNED_CHARS) : text;
  const out = new Moves();
  /** A move whose detail is the statement text from where it was found. */
  const at = (name: string, index: number) => out.add(name, () => ({ name, detail: clip(sql.slice(index, index + 300)) }));
  for (const m of sql.matchAll(/\bxp_cmdshell\b\]?\s*(?:@command_string\s*=\s*)?\(?/gi)) {
    // A quoted name is the option sp_configure turns on, or a catalogue lookup, not a call.
    const before = sql[m.index - 1];
    if (before === "'" || before === '"') continue;
    out.add('mssql.xp_cmdshell', () => {
      const cmd = stringAt(sql, m.index + m[0].length);
      return { name: 'mssql.xp_cmdshell', detail: clip(cmd ?? sql.slice(m.index, m.index + 200)), ...(cmd !== undefined ? { commands: [clip(cmd)] } : {}) };
    });
  }
  for (const m of sql.matchAll(/\bsp_configure\b\s*/gi)) {
    const opt = stringAt(sql, m.index + m[0].length);
    if (opt === undefined) continue; // a bare sp_configure only lists options
    out.add('mssql.sp_configure', () => {
      const rest = sql.slice(m.index + m[0].length).replace(/^\s*N?'(?:[^']|'')*'\s*,?\s*/, '');
      const value = /^(\d+)/.exec(rest)?.[1];
      return { name: 'mssql.sp_configure', detail: clip(`${opt}${value !== undefined ? ` = ${value}` : ''}`) };
    });
  }
  for (const m of sql.matchAll(/\bsp_oacreate\b|\bsp_oamethod\b/gi)) at('mssql.ole_automation', m.index);
  for (const m of sql.matchAll(/\bsp_add_job(?:step)?\b/gi)) at('mssql.agent_job', m.index);
  for (const m of sql.matchAll(/\bxp_(?:regwrite|regread|dirtree|fileexist|subdirs)\b/gi)) at(`mssql.${m[0].toLowerCase()}`, m.index);
  for (const m of sql.matchAll(/\bopenrowset\s*\(\s*bulk\b/gi)) at('mssql.openrowset_bulk', m.index);
  out.push(hexPayloads(sql, 'mssql'));
  return out.done();
}

/** http(s)/ftp/tftp URLs named in a command line, the downloads a dropper would make. */
export function urlsIn(command: string): string[] {
  const urls = new Set<string>();
  for (const m of command.matchAll(/\b(?:https?|ftp|tftp):\/\/[^\s'"`<>|;&)]{1,2000}/gi)) urls.add(m[0]);
  return [...urls].slice(0, 16);
}
