// One MySQL connection: greeting with a fresh salt; login by mysql_native_password or
// caching_sha2_password (fast path for known passwords, RSA full authentication otherwise; clients
// answering with another plugin are switched to native); COM_CHANGE_USER attempts; then the command
// phase served by the decoy SQL engine.
// Bytes in through `receive`, bytes out through `send`; no socket here, so tests drive it in memory.
import { constants, privateDecrypt, type KeyObject } from 'node:crypto';
import type { SessionEmitter } from '../../events/emitter.js';
import { hexSample } from '../../wire/reader.js';
import type { AuthPolicy } from '../runtime/auth-policy.js';
import { MAX_CREDENTIAL_CHARS } from '../runtime/auth-policy.js';
import type { Database } from '../sql/decoy-data.js';
import { execute, type DataView, type Result, type SessionInfo } from '../sql/engine.js';
import { splitStatements } from '../sql/lexer.js';
import type { PayloadStore } from '../sql/payload-store.js';
import { recordStatement } from '../sql/record.js';
import { ProtocolSession } from '../sql/protocol-session.js';
import type { TlsInfo } from '../sql/socket-glue.js';
import {
  CACHING_SHA2_PLUGIN,
  CLIENT_MULTI_STATEMENTS,
  CLIENT_SSL,
  decodeCommand,
  decodeHandshakeResponse,
  decodeChangeUser,
  decodeMessage,
  MAX_MESSAGE_BYTES,
  encodeAuthSwitch,
  encodeColumn,
  encodeEof,
  encodeErr,
  encodeGreeting,
  encodeOk,
  encodePackets,
  encodeResultSet,
  NATIVE_PLUGIN,
  SERVER_CAPABILITIES,
  SERVER_MORE_RESULTS_EXISTS,
  SERVER_STATUS_AUTOCOMMIT,
  TYPE_DATETIME,
  TYPE_DECIMAL,
  TYPE_LONGLONG,
  TYPE_VAR_STRING,
  type Column,
  type HandshakeResponse,
} from './codec.js';
import { crackerForm, newSalt, recoverPassword, type ScramblePlugin } from './scramble.js';
import { mysqlStatistics, serverUptimeS } from '../sql/server-status.js';

/** Bytes buffered from a client that has not yet sent a whole message. */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024 + 64;
/** Largest message or buffer accepted before login (a handshake response with attributes is ~1 KiB). */
export const MAX_HANDSHAKE_BYTES = 64 * 1024;
/** Statements run from one COM_QUERY (multi-statement); the rest are ignored as a full buffer would be. */
export const MAX_STATEMENTS_PER_QUERY = 64;

type State = 'greeting' | 'auth_switch' | 'sha2_full_auth' | 'sha2_encrypted' | 'command' | 'closed';

export interface MysqlSessionDeps {
  emitter: SessionEmitter;
  policy: AuthPolicy;
  /** Passwords tried against a scramble besides the policy's literals (the built-in weak list, honeytokens). */
  extraCandidates: readonly string[];
  serverVersion: string;
  greetingPlugin: ScramblePlugin;
  connectionId: number;
  clientHost: string;
  variables: Readonly<Record<string, string>>;
  view: DataView;
  payloads: PayloadStore;
  /** Fetches URLs named in commands (xp_cmdshell, sys_exec) under the shared fetch policy. */
  fetchUrls?: (urls: readonly string[]) => void;
  send(bytes: Buffer): void;
  /** Ends the connection (after what was sent is flushed). */
  end(reason: 'client' | 'policy' | 'error'): void;
  random?: (n: number) => Buffer;
  now?: () => Date;
  /** When mysqld started (ms since the epoch): Uptime counts from it. */
  startedMs?: number;
  /** Delay before a failed login is answered, as a loaded server might. */
  failureDelayMs?: number;
  /**
   * The server's RSA key for caching_sha2_password full authentication: a client whose fast-path
   * scramble matches no known password is asked for full authentication, fetches the public key and
   * sends its password encrypted to it, so the password is recovered in plaintext.
   */
  rsaKey?: { privateKey: KeyObject; publicPem: string };
  /** The CPU budget of this connection's source for recovering passwords; unlimited when absent. */
  recovery?: RecoveryBudget;
  /**
   * Switches the connection to TLS (see SocketIo.startTls): present when the sensor has a
   * certificate, and then the greeting offers CLIENT_SSL. Without it an SSLRequest is refused.
   */
  startTls?(pending: Buffer, secured: (info: TlsInfo) => void): void;
}

/**
 * Password recovery that does not decide a login, only tells what a refused client typed: an RSA
 * decryption (`rsa`, about 1 ms of CPU) or a scramble tried against the weak-password list and the
 * honeytokens (`wordlist`, 0.05 to 0.5 ms). `take` is false when the source or the process is past
 * its budget (limits.*_rsa_decryptions_s, limits.*_wordlist_checks_s), and then the work is skipped.
 */
export interface RecoveryBudget {
  take(kind: 'rsa' | 'wordlist'): boolean;
}

/** What an attempt whose recovery was skipped keeps for later: the RSA ciphertext, when there is one. */
interface Skipped {
  ciphertext?: Buffer;
}

/** Longest RSA-encrypted password accepted (a 4096-bit key gives 512 bytes). */
export const MAX_RSA_CIPHERTEXT_BYTES = 512;

export class MysqlSession extends ProtocolSession<State, { seq: number; payload: Buffer }> {
  private salt: Buffer;
  private seq = 0;
  private login: HandshakeResponse | undefined;
  private clientCaps = 0;
  private database: string | undefined;
  private readonly userVars = new Map<string, string | number | null>();
  private user = '';
  /** 'requested' from the SSLRequest until the TLS handshake is done; then what it negotiated. */
  private tls: 'requested' | TlsInfo | undefined;

  constructor(private readonly d: MysqlSessionDeps) {
    super('greeting', 'command', { beforeLogin: MAX_HANDSHAKE_BYTES, afterLogin: MAX_MESSAGE_BYTES, bufferedAfterLogin: MAX_BUFFERED_BYTES }, decodeMessage, d.end, d.emitter.identity.src_ip);
    this.salt = newSalt(d.random);
  }

  /** Sends the greeting; call once when the connection opens. */
  start(): void {
    const g = encodeGreeting({
      serverVersion: this.d.serverVersion,
      connectionId: this.d.connectionId,
      salt: this.salt,
      capabilities: this.d.startTls ? SERVER_CAPABILITIES : SERVER_CAPABILITIES & ~CLIENT_SSL,
      charset: 255,
      status: SERVER_STATUS_AUTOCOMMIT,
      plugin: this.d.greetingPlugin,
    });
    this.write([g], 0);
  }

  /** Feeds bytes from the client. Never throws on bad input. */
  receive(chunk: Buffer): void {
    const bad = this.feed(chunk, (m) => this.handleMessage(m.seq, m.payload));
    if (bad !== undefined) this.malformed(bad);
  }

  private malformed(reason: string): void {
    this.d.emitter.emit('protocol.malformed', { reason, sample_hex: hexSample(this.input.pending) });
    if (this.state !== 'command') this.write([encodeErr(1043, '08S01', 'Bad handshake')], this.seq);
    this.close('policy');
  }

  /** Frames payloads starting at sequence SEQ and sends them in one write. */
  private write(payloads: Buffer[], seq: number): void {
    const e = encodePackets(payloads, seq);
    this.seq = e.next;
    this.d.send(e.bytes);
  }

  private handleMessage(seq: number, payload: Buffer): void {
    switch (this.state) {
      case 'greeting':
        return this.handleHandshakeResponse(seq, payload);
      case 'auth_switch':
        return this.handleAuthSwitchResponse(seq, payload);
      case 'sha2_full_auth':
      case 'sha2_encrypted':
        return this.handleFullAuth(seq, payload);
      case 'command':
        return this.handleCommand(payload);
      default:
        return;
    }
  }

  private handleHandshakeResponse(seq: number, payload: Buffer): void {
    const r = decodeHandshakeResponse(payload);
    if (r.status === 'malformed') {
      this.d.emitter.emit('protocol.malformed', { reason: r.reason, sample_hex: hexSample(payload) });
      this.write([encodeErr(1043, '08S01', 'Bad handshake')], seq + 1);
      return this.close('policy');
    }
    if (r.value.kind === 'ssl') {
      if (!this.d.startTls || this.tls !== undefined || seq !== 1) {
        // Not offered, asked twice or out of turn: the answer a server without certificates gives.
        const reason = !this.d.startTls ? 'SSL requested but not offered' : this.tls !== undefined ? 'SSL requested twice' : 'SSL request out of sequence';
        this.d.emitter.emit('protocol.malformed', { reason, sample_hex: hexSample(payload) });
        this.write([encodeErr(1043, '08S01', 'Bad handshake')], seq + 1);
        return this.close('policy');
      }
      // Protocol::SSLRequest: no answer; the TLS handshake starts, and the HandshakeResponse41 comes
      // over TLS with sequence 2. What the client sent after the request is its ClientHello.
      const pending = Buffer.from(this.input.pending);
      this.input.clear();
      this.tls = 'requested';
      this.d.startTls(pending, (info) => {
        this.tls = info;
      });
      return;
    }
    const resp = r.value;
    this.login = resp;
    this.clientCaps = resp.capabilities;
    const version = resp.attrs['_client_name'] ? `${resp.attrs['_client_name']} ${resp.attrs['_client_version'] ?? ''}`.trim() : undefined;
    if (version) this.d.emitter.emit('client.version', { version: version.slice(0, 256), ...(resp.attrs['program_name'] ? { comments: resp.attrs['program_name'].slice(0, 256) } : {}) });
    const plugin = resp.plugin ?? NATIVE_PLUGIN;
    if (plugin === this.d.greetingPlugin || (plugin === NATIVE_PLUGIN && this.d.greetingPlugin === CACHING_SHA2_PLUGIN)) {
      // Both scrambles use the greeting's salt; tools that only speak native (hydra, nmap) are checked as they are.
      return this.decide(seq + 1, plugin as ScramblePlugin, resp.authResponse);
    }
    // The client scrambled for another plugin (MySQL 8 clients default to caching_sha2_password):
    // ask for mysql_native_password with the same salt, as a server whose accounts use it does.
    this.state = 'auth_switch';
    this.write([encodeAuthSwitch(NATIVE_PLUGIN, Buffer.concat([this.salt, Buffer.from([0])]))], seq + 1);
  }

  private handleAuthSwitchResponse(seq: number, payload: Buffer): void {
    this.decide(seq + 1, NATIVE_PLUGIN, payload.subarray(0, 1024));
  }

  /**
   * caching_sha2_password full authentication ([MySQL] caching_sha2_password, "perform full
   * authentication"): the client answers 0x02 to ask for the public key (sent as AuthMoreData 0x01 +
   * PEM), then the password XOR the salt (repeated), NUL-terminated, encrypted with RSA-OAEP.
   */
  private handleFullAuth(seq: number, payload: Buffer): void {
    const key = this.d.rsaKey;
    if (this.state === 'sha2_full_auth' && payload.length === 1 && payload[0] === 0x02 && key) {
      this.state = 'sha2_encrypted';
      this.write([Buffer.concat([Buffer.from([0x01]), Buffer.from(key.publicPem, 'latin1')])], seq + 1);
      return;
    }
    let plain: Buffer | undefined;
    if (this.state === 'sha2_encrypted' && key && payload.length <= MAX_RSA_CIPHERTEXT_BYTES) {
      if (!this.mayRecover('rsa')) {
        // The client is answered as after a decryption: every password that could let this user in
        // is listed (mayRecover), and the fast-path scramble matched none of them.
        return this.finish(seq + 1, CACHING_SHA2_PLUGIN, undefined, true, true, this.login!.authResponse, { ciphertext: payload });
      }
      try {
        const x = privateDecrypt({ key: key.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, payload);
        plain = Buffer.alloc(x.length);
        for (let i = 0; i < x.length; i++) plain[i] = x[i]! ^ this.salt[i % this.salt.length]!;
      } catch {
        plain = undefined;
      }
    } else if (payload.length <= 1024 && payload[payload.length - 1] === 0) {
      // A client that believes the channel is secure sends the password itself.
      plain = payload;
    }
    if (!plain) {
      this.d.emitter.emit('protocol.malformed', { reason: 'caching_sha2_password full authentication not understood', sample_hex: hexSample(payload) });
      this.write([encodeErr(1045, '28000', `Access denied for user '${this.login!.username.slice(0, 64)}'@'${this.d.clientHost}' (using password: YES)`)], seq + 1);
      return this.close('policy');
    }
    const nul = plain.indexOf(0);
    this.finish(seq + 1, CACHING_SHA2_PLUGIN, plain.subarray(0, nul < 0 ? plain.length : nul).toString('utf8'), true, true);
  }

  private decide(seq: number, plugin: ScramblePlugin, response: Buffer): void {
    const username = this.login!.username.slice(0, MAX_CREDENTIAL_CHARS);
    // The policy's literals decide success and are always tried; the rest of the weak list (and the
    // honeytokens) only tells what a refused client typed, so it spends the recovery budget.
    const literals = this.d.policy.candidatePasswords(username);
    const checkable = response.length === 0 || response.length === (plugin === CACHING_SHA2_PLUGIN ? 32 : 20);
    let password = checkable ? recoverPassword(plugin, response, this.salt, literals) : undefined;
    let skipped: Skipped | undefined;
    if (password === undefined && checkable) {
      const listed = new Set(literals);
      const rest = listed.size === 0 ? this.d.extraCandidates : this.d.extraCandidates.filter((c) => !listed.has(c));
      if (rest.length > 0) {
        if (this.mayRecover('wordlist')) password = recoverPassword(plugin, response, this.salt, rest);
        else skipped = {};
      }
    }
    if (password === undefined && plugin === CACHING_SHA2_PLUGIN && (this.d.rsaKey || this.secure)) {
      // Not a known password: ask for full authentication, which hands over the password itself
      // (in cleartext over TLS, else encrypted to the RSA key).
      this.state = 'sha2_full_auth';
      this.write([Buffer.from([0x01, 0x04])], seq);
      return;
    }
    this.finish(seq, plugin, password, response.length > 0, false, response, skipped);
  }

  /**
   * Whether recovery work of KIND may run for this login: when the budget has it (which it then
   * spends), and whatever the budget when the policy may let this user in with a password it does not
   * list, as then the work decides the answer. A budget never turns a login that would succeed into a
   * refusal.
   */
  private mayRecover(kind: 'rsa' | 'wordlist'): boolean {
    const budget = this.d.recovery;
    return !budget || budget.take(kind) || this.d.policy.acceptsUnlisted(this.login!.username.slice(0, MAX_CREDENTIAL_CHARS));
  }

  private finish(seq: number, plugin: ScramblePlugin, password: string | undefined, sentPassword: boolean, fullAuth: boolean, response: Buffer = Buffer.alloc(0), skipped?: Skipped): void {
    const login = this.login!;
    const username = login.username.slice(0, MAX_CREDENTIAL_CHARS);
    let success: boolean;
    if (password !== undefined) success = this.d.policy.allows(username, password);
    else {
      // A rule that takes any password for this user ("*" or a pattern) accepts an unknown one too.
      success = this.d.policy.allows(username, '\u0001unrecovered scramble');
    }
    this.d.emitter.emit('auth.attempt', {
      method: 'native',
      username,
      ...(password !== undefined ? { password } : { hash: crackerForm(plugin, response.subarray(0, 64), this.salt) }),
      success,
      ...(skipped ? { recovery: 'skipped_budget' as const, ...(skipped.ciphertext ? { rsa_ciphertext: skipped.ciphertext.toString('hex') } : {}) } : {}),
    });
    const answer = (): void => {
      if (this.state === 'closed') return;
      if (!success) {
        this.write([encodeErr(1045, '28000', `Access denied for user '${username.slice(0, 64)}'@'${this.d.clientHost}' (using password: ${sentPassword ? 'YES' : 'NO'})`)], seq);
        return this.close('policy');
      }
      this.user = username;
      const db = login.database;
      if (db !== undefined) {
        const found = [...this.d.view.read().values()].find((x: Database) => x.name.toLowerCase() === db.toLowerCase());
        if (!found) {
          this.write([encodeErr(1049, '42000', `Unknown database '${db.slice(0, 64)}'`)], seq);
          return this.close('policy');
        }
        this.database = found.name;
      }
      this.state = 'command';
      // caching_sha2 fast path: AuthMoreData "fast auth success" before the OK; full authentication ends with the OK alone.
      this.write([plugin === CACHING_SHA2_PLUGIN && !fullAuth ? Buffer.from([0x01, 0x03]) : undefined, encodeOk()].filter((x): x is Buffer => x !== undefined), seq);
    };
    if (!success && this.d.failureDelayMs) setTimeout(answer, this.d.failureDelayMs).unref();
    else answer();
  }

  private session(): SessionInfo {
    return {
      dialect: 'mysql',
      user: this.user,
      clientHost: this.d.clientHost,
      database: this.database,
      connectionId: this.d.connectionId,
      variables: this.d.variables,
      userVars: this.userVars,
      now: this.d.now ?? (() => new Date()),
      ...(this.d.startedMs !== undefined ? { startedMs: this.d.startedMs } : {}),
      ...(typeof this.tls === 'object' ? { tls: this.tls } : {}),
    };
  }

  /** Whether the connection runs over TLS (the handshake is done). */
  private get secure(): boolean {
    return typeof this.tls === 'object';
  }

  private handleCommand(payload: Buffer): void {
    const cmd = decodeCommand(payload);
    if (!cmd) return this.malformed('empty command packet');
    switch (cmd.kind) {
      case 'quit':
        return this.close('client');
      case 'ping':
      case 'reset':
        return this.write([encodeOk()], 1);
      case 'set_option':
        return this.write([encodeEof()], 1);
      case 'statistics':
        return this.write([Buffer.from(mysqlStatistics(serverUptimeS(this.d.startedMs, (this.d.now ?? (() => new Date()))())))], 1);
      case 'init_db': {
        const name = cmd.database.toString('utf8');
        const r = this.runStatements(`USE \`${name.replace(/`/g, '``')}\``, false, name);
        return this.write(r, 1);
      }
      case 'query': {
        const text = cmd.sql.toString('utf8');
        return this.write(this.runStatements(text, (this.clientCaps & CLIENT_MULTI_STATEMENTS) !== 0), 1);
      }
      case 'change_user': {
        const cu = decodeChangeUser(cmd.args, this.clientCaps);
        if (!cu || !this.login) return this.malformed('COM_CHANGE_USER not understood');
        // The new login is checked against the connection's salt, as the client scrambled with it.
        const next: HandshakeResponse = { ...this.login, username: cu.username, authResponse: cu.authResponse };
        if (cu.database !== undefined) next.database = cu.database;
        else delete next.database;
        this.login = next;
        this.state = 'greeting';
        return this.decide(1, NATIVE_PLUGIN, cu.authResponse);
      }
      case 'prepare': {
        // The binary protocol is not emulated; the statement is still what the attacker meant to run.
        recordStatement(this.d.emitter, this.d.payloads, { ...(this.d.fetchUrls ? { fetchUrls: this.d.fetchUrls } : {}), text: cmd.sql.toString('utf8'), database: this.database, dialect: 'mysql' });
        return this.write([encodeErr(1295, 'HY000', 'This command is not supported in the prepared statement protocol yet')], 1);
      }
      case 'field_list':
        return this.write(this.fieldList(cmd.table.toString('utf8')), 1);
      default:
        this.d.emitter.emit('protocol.malformed', { reason: `unsupported command 0x${cmd.code.toString(16).padStart(2, '0')}`, sample_hex: hexSample(payload) });
        return this.write([encodeErr(1047, '08S01', 'Unknown command')], 1);
    }
  }

  /** COM_FIELD_LIST (mariadb's auto-rehash asks it for every table): column definitions then EOF. */
  private fieldList(table: string): Buffer[] {
    const db = this.database ? this.d.view.read().get(this.database) : undefined;
    if (!db) return [encodeErr(1046, '3D000', 'No database selected')];
    const t = db.tables.get(table) ?? [...db.tables.values()].find((x) => x.name.toLowerCase() === table.toLowerCase());
    if (!t) return [encodeErr(1146, '42S02', `Table '${db.name}.${table.slice(0, 64)}' doesn't exist`)];
    return [...t.columns.map((c) => encodeColumn({ name: c.name, type: columnType(c.kind), table: t.name, schema: db.name }, true)), encodeEof()];
  }

  /**
   * Runs TEXT (one statement, or several when the client enabled multi-statements), recording each,
   * and returns the answer payloads. INIT_DB names the database a COM_INIT_DB asked for.
   */
  private runStatements(text: string, multi: boolean, initDb?: string): Buffer[] {
    const statements = multi ? splitStatements(text, MAX_STATEMENTS_PER_QUERY) : [text];
    if (statements.length === 0) statements.push(text);
    const out: Buffer[] = [];
    const work = { chars: 0 };
    for (let i = 0; i < statements.length; i++) {
      const sql = statements[i]!;
      const executed = execute(sql, this.session(), this.d.view, work);
      recordStatement(this.d.emitter, this.d.payloads, { ...(this.d.fetchUrls ? { fetchUrls: this.d.fetchUrls } : {}), text: initDb !== undefined ? `USE ${initDb}` : sql, database: this.database, dialect: 'mysql', files: executed.files });
      if (executed.database !== undefined) this.database = executed.database;
      const more = i < statements.length - 1 && executed.result.kind !== 'error';
      out.push(...encodeResult(executed.result, more ? SERVER_STATUS_AUTOCOMMIT | SERVER_MORE_RESULTS_EXISTS : SERVER_STATUS_AUTOCOMMIT));
      if (!more) break;
    }
    return out;
  }
}

function columnType(kind: string): number {
  return kind === 'int' ? TYPE_LONGLONG : kind === 'decimal' ? TYPE_DECIMAL : kind === 'datetime' ? TYPE_DATETIME : TYPE_VAR_STRING;
}

function valueText(v: string | number | null): string | null {
  if (v === null) return null;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
  return v;
}

/** An engine result as MySQL answer payloads. */
export function encodeResult(r: Result, status: number): Buffer[] {
  switch (r.kind) {
    case 'ok':
      return [encodeOk({ affectedRows: r.affected, ...(r.insertId !== undefined ? { insertId: r.insertId } : {}), status, ...(r.info !== undefined ? { info: r.info } : {}) })];
    case 'error':
      return [encodeErr(r.code, r.state, r.message)];
    case 'rows': {
      const cols: Column[] = r.columns.map((c) => ({ name: c.name, type: columnType(c.kind), ...(c.table ? { table: c.table } : {}), ...(c.schema ? { schema: c.schema } : {}) }));
      return encodeResultSet(cols, r.rows.map((row) => row.map((v) => valueText(v))), status);
    }
  }
}
