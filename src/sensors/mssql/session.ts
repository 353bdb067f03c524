// One TDS connection: PRELOGIN, LOGIN7 (or a TDS 4.2 login) with the password recovered in plaintext,
// then SQL batches answered by the decoy engine, xp_cmdshell and sp_configure played along and
// recorded. Bytes in through `receive`, bytes out through `send`; no socket here.
import type { SessionEmitter } from '../../events/emitter.js';
import { hexSample } from '../../wire/reader.js';
import type { AuthPolicy } from '../runtime/auth-policy.js';
import { MAX_CREDENTIAL_CHARS } from '../runtime/auth-policy.js';
import { execute, type DataView, type Result, type SessionInfo } from '../sql/engine.js';
import { optionValues, SERVER_OPTIONS, spDatabasesRows, type LoginInfo } from '../sql/tsql-catalog.js';
import { splitStatements } from '../sql/lexer.js';
import type { PayloadStore } from '../sql/payload-store.js';
import { recordStatement } from '../sql/record.js';
import { ProtocolSession } from '../sql/protocol-session.js';
import { flatCopy } from '../../wire/flat-copy.js';
import { cmdshellOutput } from './cmdshell.js';
import { xpMsverRows } from './msver.js';
import {
  DEFAULT_COLLATION,
  DEFAULT_PACKET_SIZE,
  DONE_ATTN,
  DONE_COUNT,
  DONE_ERROR,
  DONE_FINAL,
  DONE_MORE,
  ENV_COLLATION,
  ENV_DATABASE,
  ENV_LANGUAGE,
  ENV_PACKET_SIZE,
  MAX_PACKET_SIZE,
  MIN_PACKET_SIZE,
  PT_ATTENTION,
  PT_LOGIN42,
  PT_LOGIN7,
  PT_PRELOGIN,
  PT_RESPONSE,
  PT_RPC,
  PT_SQL_BATCH,
  PT_SSPI,
  decodeLogin42,
  decodeLogin7,
  decodePrelogin,
  decodeRpcName,
  decodeSqlBatch,
  MAX_TDS_MESSAGE_BYTES,
  TdsFramer,
  encodeColMetadata,
  encodeDone,
  encodeEnvChange,
  encodeLoginAck,
  encodeMessage,
  encodePreloginResponse,
  encodeRow,
  encodeTdsMessage,
  type ServerVersion,
  type TdsColumn,
} from './tds-codec.js';

/** Bytes buffered from a client that has not yet sent a whole message. */
export const MAX_TDS_BUFFERED_BYTES = 8 * 1024 * 1024 + 1024;
/** Largest message or buffer accepted before login (LOGIN7 with an SSPI blob and feature extensions fits). */
export const MAX_TDS_LOGIN_BYTES = 64 * 1024;
/** Statements answered from one batch. */
export const MAX_STATEMENTS_PER_BATCH = 64;
/**
 * Most sp_configure options one connection keeps, and the longest option name (SQL Server's are at
 * most 35 characters): the names are the attacker's, kept until the connection ends. Past either the
 * option "does not exist", as an unknown one does on a real server.
 */
export const MAX_CONFIGURED_OPTIONS = 64;
export const MAX_CONFIG_OPTION_CHARS = 64;

/** Longest workstation, application or library name kept from a login (SQL Server's are at most 128 characters). */
export const MAX_CLIENT_NAME_CHARS = 128;

type State = 'prelogin' | 'login' | 'ready' | 'closed';

/** Databases every SQL Server has; USE of them works even though the decoy holds no tables there. */
const SYSTEM_DATABASES = ['master', 'tempdb', 'model', 'msdb'];

export interface MssqlSessionDeps {
  emitter: SessionEmitter;
  policy: AuthPolicy;
  version: ServerVersion;
  serverName: string;
  domain: string;
  clientHost: string;
  spid: number;
  variables: Readonly<Record<string, string>>;
  view: DataView;
  payloads: PayloadStore;
  /** Fetches URLs named in commands (xp_cmdshell, sys_exec) under the shared fetch policy. */
  fetchUrls?: (urls: readonly string[]) => void;
  send(bytes: Buffer): void;
  end(reason: 'client' | 'policy' | 'error'): void;
  failureDelayMs?: number;
  now?: () => Date;
  /** When the SQL Server service started (ms since the epoch): tempdb is made then. */
  startedMs?: number;
}

/** SQL Server's Msg 15281 for xp_cmdshell while it is turned off (its default). */
const XP_CMDSHELL_OFF =
  "SQL Server blocked access to procedure 'sys.xp_cmdshell' of component 'xp_cmdshell' because this component is turned off as part of the security configuration for this server. A system administrator can enable the use of 'xp_cmdshell' by using sp_configure. For more information about enabling 'xp_cmdshell', search for 'xp_cmdshell' in SQL Server Books Online.";

export class MssqlSession extends ProtocolSession<State, { type: number; payload: Buffer }> {
  private tdsVersion = 0x74000004;
  private packetSize = DEFAULT_PACKET_SIZE;
  private user = '';
  /** What the client's login said of it (HOST_NAME(), APP_NAME(), sys.dm_exec_sessions). */
  private login: LoginInfo | undefined;
  private database = 'master';
  private readonly userVars = new Map<string, string | number | null>();
  /** Server options set by sp_configure, and those RECONFIGURE installed (lower-cased names). */
  private readonly configured = new Map<string, number>();
  private readonly installed = new Map<string, number>();

  constructor(private readonly d: MssqlSessionDeps) {
    // One framer per connection: it resumes where the last chunk left the message, so a message
    // arriving a byte at a time is not re-framed from its first packet on every byte.
    const framer = new TdsFramer();
    super('prelogin', 'ready', { beforeLogin: MAX_TDS_LOGIN_BYTES, afterLogin: MAX_TDS_MESSAGE_BYTES, bufferedAfterLogin: MAX_TDS_BUFFERED_BYTES }, (b, max) => framer.decode(b, max), d.end, d.emitter.identity.src_ip);
  }

  /** Feeds bytes from the client. Never throws on bad input. */
  receive(chunk: Buffer): void {
    const bad = this.feed(
      chunk,
      (m) => this.handle(m.type, m.payload),
      // Before login only PRELOGIN and login packets make sense: anything else (an HTTP request, a
      // scanner's probe) is refused at its first byte, as SQL Server does, instead of waiting for
      // the length its header seems to promise.
      (buf) => (this.state !== 'ready' && buf.length > 0 && ![PT_PRELOGIN, PT_LOGIN7, PT_LOGIN42, PT_SSPI].includes(buf[0]!) ? `unexpected packet type 0x${buf[0]!.toString(16)} before login` : undefined),
    );
    if (bad !== undefined) this.malformed(bad, this.input.pending);
  }

  private malformed(reason: string, sample: Buffer): void {
    this.d.emitter.emit('protocol.malformed', { reason, sample_hex: hexSample(sample) });
    this.close('policy');
  }

  private respond(tokens: Buffer[]): void {
    this.d.send(encodeTdsMessage(PT_RESPONSE, Buffer.concat(tokens), this.packetSize));
  }

  private handle(type: number, payload: Buffer): void {
    switch (this.state) {
      case 'prelogin':
        if (type === PT_PRELOGIN) return this.handlePrelogin(payload);
        if (type === PT_LOGIN7 || type === PT_LOGIN42) return this.handleLogin(type, payload);
        return this.malformed(`unexpected packet type 0x${type.toString(16)} before login`, payload);
      case 'login':
        if (type === PT_LOGIN7 || type === PT_LOGIN42) return this.handleLogin(type, payload);
        if (type === PT_SSPI) return this.malformed('SSPI continuation without an integrated login', payload);
        return this.malformed(`unexpected packet type 0x${type.toString(16)} during login`, payload);
      case 'ready':
        if (type === PT_SQL_BATCH) return this.handleBatch(decodeSqlBatch(payload, this.tdsVersion));
        if (type === PT_RPC) return this.handleRpc(payload);
        if (type === PT_ATTENTION) return this.respond([encodeDone(DONE_ATTN, 0, this.tdsVersion)]);
        this.d.emitter.emit('protocol.malformed', { reason: `unsupported packet type 0x${type.toString(16)}`, sample_hex: hexSample(payload) });
        return this.respond([this.error(4002, 1, 16, 'The incoming tabular data stream (TDS) protocol stream is incorrect.'), encodeDone(DONE_ERROR, 0, this.tdsVersion)]);
      default:
        return;
    }
  }

  private handlePrelogin(payload: Buffer): void {
    const r = decodePrelogin(payload);
    if (r.status === 'malformed') return this.malformed(r.reason, payload);
    if (r.value.version) this.d.emitter.emit('client.version', { version: `TDS prelogin ${r.value.version}`, ...(r.value.instance ? { comments: `instance ${r.value.instance}` } : {}) });
    this.state = 'login';
    this.respond([encodePreloginResponse(this.d.version)]);
  }

  private handleLogin(type: number, payload: Buffer): void {
    const r = type === PT_LOGIN7 ? decodeLogin7(payload) : decodeLogin42(payload);
    if (r.status === 'malformed') return this.malformed(r.reason, payload);
    const login = r.value;
    if (login.kind === 'login7') {
      this.tdsVersion = login.tdsVersion >= 0x70000000 && login.tdsVersion <= 0x74000004 ? login.tdsVersion : 0x74000004;
      this.packetSize = Math.max(MIN_PACKET_SIZE, Math.min(MAX_PACKET_SIZE, login.packetSize || DEFAULT_PACKET_SIZE));
    } else {
      this.tdsVersion = 0x04020000;
      this.packetSize = 512;
    }
    const app = [login.appName, login.libraryName].filter(Boolean).join(' / ');
    if (app) this.d.emitter.emit('client.version', { version: app.slice(0, 256), ...(login.hostName ? { comments: `host ${login.hostName.slice(0, 200)}` } : {}) });
    if (login.sspi) {
      // Integrated (NTLM) logins are not offered; the server answers as one without a domain would.
      this.d.emitter.emit('auth.attempt', { method: 'ntlm', username: '', success: false });
      return this.fail('Login failed. The login is from an untrusted domain and cannot be used with Integrated authentication.', 18452);
    }
    const username = login.userName.slice(0, MAX_CREDENTIAL_CHARS);
    const password = login.password.slice(0, MAX_CREDENTIAL_CHARS);
    const success = this.d.policy.allows(username, password);
    this.d.emitter.emit('auth.attempt', { method: 'password', username, password, success });
    if (!success) {
      const answer = (): void => this.fail(`Login failed for user '${username.slice(0, 128)}'.`, 18456);
      if (this.d.failureDelayMs) setTimeout(answer, this.d.failureDelayMs).unref();
      else answer();
      return;
    }
    this.user = username;
    // Copies: the names are views into the login packet.
    const field = (s: string): string => flatCopy(s.slice(0, MAX_CLIENT_NAME_CHARS));
    this.login = { host: field(login.hostName), app: field(login.appName), library: field(login.libraryName), atMs: (this.d.now ?? (() => new Date()))().getTime() };
    const wide = this.tdsVersion >= 0x70000000;
    let db = 'master';
    if (login.database && (SYSTEM_DATABASES.includes(login.database.toLowerCase()) || this.findDb(login.database))) db = this.findDb(login.database) ?? login.database.toLowerCase();
    this.database = db;
    this.state = 'ready';
    const tokens = [
      encodeEnvChange(ENV_DATABASE, db, 'master', wide),
      encodeMessage('info', { number: 5701, state: 2, severity: 0, text: `Changed database context to '${db}'.`, server: this.d.serverName }, this.tdsVersion),
    ];
    if (wide) tokens.push(encodeEnvChange(ENV_COLLATION, DEFAULT_COLLATION, Buffer.alloc(0)));
    tokens.push(
      encodeEnvChange(ENV_LANGUAGE, 'us_english', '', wide),
      encodeMessage('info', { number: 5703, state: 1, severity: 0, text: 'Changed language setting to us_english.', server: this.d.serverName }, this.tdsVersion),
      encodeLoginAck(this.tdsVersion, this.d.version),
      encodeEnvChange(ENV_PACKET_SIZE, String(this.packetSize), String(this.packetSize), wide),
      encodeDone(DONE_FINAL, 0, this.tdsVersion),
    );
    this.respond(tokens);
  }

  private fail(text: string, number: number): void {
    if (this.state === 'closed') return;
    this.respond([encodeMessage('error', { number, state: 1, severity: 14, text, server: this.d.serverName }, this.tdsVersion), encodeDone(DONE_ERROR, 0, this.tdsVersion)]);
    this.close('policy');
  }

  private error(number: number, state: number, severity: number, text: string): Buffer {
    return encodeMessage('error', { number, state, severity, text, server: this.d.serverName, line: 1 }, this.tdsVersion);
  }

  private info(number: number, text: string): Buffer {
    return encodeMessage('info', { number, state: 1, severity: 0, text, server: this.d.serverName, line: 1 }, this.tdsVersion);
  }

  private findDb(name: string): string | undefined {
    for (const db of this.d.view.read().values()) if (db.name.toLowerCase() === name.toLowerCase()) return db.name;
    return undefined;
  }

  private session(): SessionInfo {
    return {
      dialect: 'tsql',
      user: this.user,
      clientHost: this.d.clientHost,
      ...(this.login ? { login: this.login } : {}),
      serverConfig: { configured: this.configured, installed: this.installed },
      database: this.database,
      connectionId: this.d.spid,
      variables: this.d.variables,
      userVars: this.userVars,
      now: this.d.now ?? (() => new Date()),
      ...(this.d.startedMs !== undefined ? { startedMs: this.d.startedMs } : {}),
    };
  }

  private handleRpc(payload: Buffer): void {
    const name = decodeRpcName(payload, this.tdsVersion);
    recordStatement(this.d.emitter, this.d.payloads, { ...(this.d.fetchUrls ? { fetchUrls: this.d.fetchUrls } : {}), text: `EXEC ${name} /* RPC */`, database: this.database, dialect: 'tsql' });
    this.respond([this.error(2812, 62, 16, `Could not find stored procedure '${name.slice(0, 128)}'.`), encodeDone(DONE_ERROR, 0, this.tdsVersion)]);
  }

  private handleBatch(text: string): void {
    recordStatement(this.d.emitter, this.d.payloads, { ...(this.d.fetchUrls ? { fetchUrls: this.d.fetchUrls } : {}), text, database: this.database, dialect: 'tsql' });
    const statements = splitStatements(text, MAX_STATEMENTS_PER_BATCH);
    const tokens: Buffer[] = [];
    const work = { chars: 0 };
    statements.forEach((sql, i) => {
      const last = i === statements.length - 1;
      tokens.push(...this.statement(sql, last, work));
    });
    if (tokens.length === 0) tokens.push(encodeDone(DONE_FINAL, 0, this.tdsVersion));
    this.respond(tokens);
  }

  /** The tokens answering one statement; the DONE carries MORE unless it is the batch's last. */
  private statement(sql: string, last: boolean, work: { chars: number }): Buffer[] {
    const more = last ? 0 : DONE_MORE;
    const done = (status: number, rows = 0): Buffer => encodeDone(status | more, rows, this.tdsVersion);
    const words = sql.trim().split(/\s+/);
    const head = (words[0] ?? '').toUpperCase();
    if (head === 'EXEC' || head === 'EXECUTE' || /^(master\.|sys\.|dbo\.)*\[?(xp_|sp_)/i.test(sql.trim())) {
      const rest = head === 'EXEC' || head === 'EXECUTE' ? sql.trim().slice(words[0]!.length).trim() : sql.trim();
      return this.procedure(rest, done);
    }
    if (head === 'RECONFIGURE') {
      // Installs what sp_configure set: value_in_use follows value.
      for (const [k, v] of this.configured) this.installed.set(k, v);
      return [done(DONE_FINAL)];
    }
    if (head === 'DECLARE' || head === 'BEGIN' || head === 'END' || head === 'IF' || head === 'PRINT' || head === 'GO' || head === 'WAITFOR') return [done(DONE_FINAL)];
    if (head === 'USE') {
      const name = (words[1] ?? '').replace(/^\[|\]$/g, '');
      const found = SYSTEM_DATABASES.includes(name.toLowerCase()) ? name.toLowerCase() : this.findDb(name);
      if (!found) return [this.error(911, 1, 16, `Database '${name.slice(0, 128)}' does not exist. Make sure that the name is entered correctly.`), done(DONE_ERROR)];
      const prev = this.database;
      this.database = found;
      return [encodeEnvChange(ENV_DATABASE, found, prev, this.tdsVersion >= 0x70000000), this.info(5701, `Changed database context to '${found}'.`), done(DONE_FINAL)];
    }
    const ex = execute(sql, this.session(), this.d.view, work);
    return this.answer(ex.result, done);
  }

  private answer(r: Result, done: (status: number, rows?: number) => Buffer): Buffer[] {
    switch (r.kind) {
      case 'ok':
        return [done(DONE_COUNT, r.affected)];
      case 'error': {
        const m = tsqlError(r);
        return [this.error(m.number, 1, m.severity, m.text), done(DONE_ERROR)];
      }
      case 'rows': {
        return this.table(r.columns.map((c) => ({ name: c.name, type: c.kind === 'int' ? 'int' : 'text' })), r.rows, done);
      }
    }
  }

  /** A result set: COLMETADATA, one ROW per row, and its DONE with the count. */
  private table(cols: TdsColumn[], rows: readonly (readonly (string | number | null)[])[], done: (status: number, rows?: number) => Buffer): Buffer[] {
    return [encodeColMetadata(cols, this.tdsVersion), ...rows.map((r) => encodeRow(cols, r)), done(DONE_COUNT, rows.length)];
  }

  /** EXEC of a stored procedure: the ones attackers use are played along, the rest do not exist. */
  private procedure(call: string, done: (status: number, rows?: number) => Buffer): Buffer[] {
    const m = /^((?:\[?\w+\]?\.){0,2}\.?)\[?(\w+)\]?\s*([\s\S]*)$/.exec(call);
    const name = (m?.[2] ?? '').toLowerCase();
    const args = m?.[3] ?? '';
    const strings = quotedStrings(args);
    switch (name) {
      case 'xp_cmdshell': {
        // Off by default, as on SQL Server: the attempt is recorded either way (the statement's
        // exploit.attempt), and the usual next move, sp_configure and RECONFIGURE, is recorded too.
        const option = SERVER_OPTIONS.find((o) => o.name === 'xp_cmdshell')!;
        if (optionValues(option, { configured: this.configured, installed: this.installed }).inUse !== 1) {
          return [this.error(15281, 1, 16, XP_CMDSHELL_OFF), done(DONE_ERROR)];
        }
        const lines = cmdshellOutput(strings[0] ?? '', { hostname: this.d.serverName, domain: this.d.domain });
        return this.table([{ name: 'output', type: 'text' }], lines.map((l) => [l]), done);
      }
      case 'sp_configure': {
        const cols: TdsColumn[] = [
          { name: 'name', type: 'text' },
          { name: 'minimum', type: 'int' },
          { name: 'maximum', type: 'int' },
          { name: 'config_value', type: 'int' },
          { name: 'run_value', type: 'int' },
        ];
        const state = { configured: this.configured, installed: this.installed };
        const listed = (o: (typeof SERVER_OPTIONS)[number]): (string | number)[] => {
          const v = optionValues(o, state);
          return [o.name, o.min, o.max, v.value, v.inUse];
        };
        // Advanced options are listed, read and set only while show advanced options is installed.
        const advanced = optionValues(SERVER_OPTIONS.find((o) => o.id === 518)!, state).inUse === 1;
        const visible = SERVER_OPTIONS.filter((o) => advanced || !o.advanced).sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
        if (strings.length === 0) return this.table(cols, visible.map(listed), done);
        const option = strings[0]!.toLowerCase();
        const missing = (): Buffer[] => [this.error(15123, 1, 16, `The configuration option '${option.slice(0, 128)}' does not exist, or it may be an advanced option.`), done(DONE_ERROR)];
        const known = SERVER_OPTIONS.find((o) => o.name.toLowerCase() === option);
        const value = /,\s*(-?\d+)/.exec(args)?.[1];
        if (value === undefined) {
          return known && visible.includes(known) ? this.table(cols, [listed(known)], done) : missing();
        }
        if (option.length > MAX_CONFIG_OPTION_CHARS || (known && !visible.includes(known)) || (!this.configured.has(option) && this.configured.size >= MAX_CONFIGURED_OPTIONS)) return missing();
        const n = Number(value);
        if (known && (n < known.min || n > known.max)) return [this.error(15129, 1, 16, `'${value}' is not a valid value for configuration option '${known.name}'.`), done(DONE_ERROR)];
        const before = this.configured.get(option) ?? (known ? optionValues(known, state).value : 0);
        const next = known ? n : n ? 1 : 0;
        // The name is a view into the batch's text; the connection keeps a copy.
        this.configured.set(flatCopy(option), next);
        return [this.info(15457, `Configuration option '${(known?.name ?? option).slice(0, 128)}' changed from ${before} to ${next}. Run the RECONFIGURE statement to install.`), done(DONE_FINAL)];
      }
      case 'sp_databases': {
        const cols: TdsColumn[] = [
          { name: 'DATABASE_NAME', type: 'text' },
          { name: 'DATABASE_SIZE', type: 'int' },
          { name: 'REMARKS', type: 'text' },
        ];
        return this.table(cols, spDatabasesRows(this.d.view.read()), done);
      }
      case 'xp_msver': {
        const cols: TdsColumn[] = [
          { name: 'Index', type: 'int' },
          { name: 'Name', type: 'text' },
          { name: 'Internal_Value', type: 'int' },
          { name: 'Character_Value', type: 'text' },
        ];
        // xp_msver 'ProductVersion' answers that row only.
        return this.table(cols, xpMsverRows(this.d.version).filter((r) => strings.length === 0 || strings.some((s) => s.toLowerCase() === String(r[1]).toLowerCase())), done);
      }
      case 'sp_oacreate':
      case 'sp_oamethod':
      case 'sp_addextendedproc':
      case 'sp_add_job':
      case 'sp_add_jobstep':
      case 'sp_start_job':
      case 'sp_addlogin':
      case 'sp_addsrvrolemember':
      case 'sp_password':
      case 'sp_server_info':
      case 'sp_executesql':
      case 'xp_regwrite':
      case 'xp_dirtree':
      case 'xp_fileexist':
      case 'sp_who':
      case 'sp_who2':
        return [done(DONE_FINAL)];
      default:
        return [this.error(2812, 62, 16, `Could not find stored procedure '${(m?.[2] ?? call.slice(0, 64)).slice(0, 128)}'.`), done(DONE_ERROR)];
    }
  }
}

/** Most string arguments read from one procedure call, and the longest text scanned for them. */
export const MAX_PROC_ARGS = 16;
export const MAX_PROC_ARG_TEXT = 64 * 1024;

/** The '...' (or N'...') literals in a procedure's arguments, '' unescaped; one linear pass. */
export function quotedStrings(text: string): string[] {
  const s = text.length > MAX_PROC_ARG_TEXT ? text.slice(0, MAX_PROC_ARG_TEXT) : text;
  const out: string[] = [];
  let i = 0;
  while (i < s.length && out.length < MAX_PROC_ARGS) {
    const open = s.indexOf("'", i);
    if (open < 0) break;
    let j = open + 1;
    let value = '';
    for (;;) {
      const q = s.indexOf("'", j);
      if (q < 0) return out; // unterminated: a real server would report a syntax error
      value += s.slice(j, q);
      if (s[q + 1] === "'") {
        value += "'";
        j = q + 2;
        continue;
      }
      i = q + 1;
      break;
    }
    out.push(value);
  }
  return out;
}

/** The decoy engine speaks MySQL's error codes; SQL Server clients get SQL Server's. */
function tsqlError(r: Extract<Result, { kind: 'error' }>): { number: number; severity: number; text: string } {
  if (r.tsql) return { number: r.tsql.number, severity: r.tsql.severity, text: r.tsql.message };
  const quoted = /'([^']*)'/.exec(r.message)?.[1] ?? '';
  switch (r.code) {
    case 1221:
      // ORDER BY before UNION: T-SQL has no parenthesised form either.
      return { number: 156, severity: 15, text: "Incorrect syntax near the keyword 'UNION'." };
    case 1064:
      return { number: 102, severity: 15, text: `Incorrect syntax near '${quoted.split(/\s+/)[0] ?? ''}'.` };
    case 1146:
    case 1046:
      return { number: 208, severity: 16, text: `Invalid object name '${quoted.replace(/^[^.]*\./, '')}'.` };
    case 1054:
      return { number: 207, severity: 16, text: `Invalid column name '${quoted}'.` };
    case 1049:
      return { number: 911, severity: 16, text: `Database '${quoted}' does not exist. Make sure that the name is entered correctly.` };
    case 1305:
      return { number: 195, severity: 15, text: `'${(/FUNCTION \S+\.(\w+)/.exec(r.message)?.[1] ?? '').toUpperCase()}' is not a recognized built-in function name.` };
    default:
      return { number: 50000, severity: 16, text: r.message };
  }
}
