// The FTP sensor: Debian 12's vsftpd 3.0.3 as its package configures it (listen_ipv6=YES, so IPv4
// clients are "::ffff:" addresses to it), with anonymous uploads into /upload. Logins go through the
// auth policy (anonymous when enabled), the fake tree is listed and downloaded, uploads go to
// quarantine, passive and active data connections work, and an active-mode PORT/EPRT to a third host
// is recorded as an FTP bounce attempt and never connected. Every command is recorded. Replies follow
// vsftpd's prelogin.c and postlogin.c: their texts, their order of checks, their quirks.
import { createServer, connect, isIP, type Server, type Socket } from 'node:net';
import type { FtpServiceConfig } from '../../config/schema.js';
import { normaliseIp } from '../../events/emitter.js';
import { hexSample } from '../../wire/reader.js';
import { MAX_CREDENTIAL_CHARS } from '../runtime/auth-policy.js';
import type { CapturingSensorDeps } from '../runtime/sensor-deps.js';
import { storeUpload, UploadBuffer } from '../runtime/capture.js';
import { startTcpService, tcpServiceOptions, type ConnectionContext, type RunningService } from '../runtime/listener.js';
import { asciiUpper, decodeEprtArg, decodeEpsvArg, decodeLine, decodePortArg, decodeRestArg, encodePasv, MAX_LINE_BYTES, type FtpCommand, type HostPort } from './command.js';
import { buildFakeTree, listDirectory, LOCAL_GID, LOCAL_UID, lookup, mdtm, resolvePath, resolveTilde, type EntryStat, type FakeDir } from './fake-tree.js';

/** A data connection must be made within this (vsftpd's accept_timeout and connect_timeout, 60 s). */
export const DATA_CONNECT_TIMEOUT_MS = 60_000;
/**
 * A data connection that moves no bytes for this long ends the session with "421 Data timeout.
 * Reconnect. Sorry." (vsftpd's data_connection_timeout, 300 s; the words captured with it at 3 s).
 */
export const DATA_IDLE_TIMEOUT_MS = 300_000;
/** Commands queued while a transfer or a failed-login pause runs; a client that pipelines more is disconnected. */
export const MAX_QUEUED_COMMANDS = 32;
/** Unparsable lines one connection may send before it is closed (each is recorded). */
export const MAX_MALFORMED_LINES = 16;
/** Uploaded names shown in one session's listings. */
export const MAX_SESSION_UPLOADS = 256;
/** The failed-login pause varies by this share either way, as PAM's randomised delay makes it. */
export const FAILURE_DELAY_SPREAD = 0.15;
/** Uploads are created 0666 & ~umask; vsftpd's anon_umask and local_umask are both 077. */
const DEFAULT_UMASK = 0o077;

export type FtpSensorDeps = CapturingSensorDeps & {
  /** Randomness for the failed-login pause, and the clock for listings and uploads (injectable; Math.random and Date by default). */
  random?: () => number;
  now?: () => Date;
  /**
   * The file tree (built once by the CLI, which also gives it to the fake shell as /srv/ftp); without
   * one the sensor builds its own. Anonymous uploads belong to the owner of the directory they land in.
   */
  tree?: FakeDir;
};

/** FEAT as vsftpd answers it with ssl_enable=NO and utf8_filesystem=NO (Debian's defaults). */
const FEATURES = ['EPRT', 'EPSV', 'MDTM', 'PASV', 'REST STREAM', 'SIZE', 'TVFS'];
/** USER names vsftpd takes as anonymous, compared upper-cased. */
/**
 * Debian's /etc/ftpusers: vsftpd's PAM stack (pam_listfile, sense=deny) refuses these whatever the
 * password, so root never logs in to a Debian vsftpd; letting it in, because the auth rules accept
 * root for SSH, gave the persona away.
 */
export const FTPUSERS: ReadonlySet<string> = new Set(['root', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp', 'nobody']);
const ANONYMOUS_USERS = new Set(['ANONYMOUS', 'FTP']);
/** The control connection is IPv6 to vsftpd on Debian's dual-stack listener, IPv4 clients included. */
const IPV6_CONTROL = true;
/** Lowest port PORT/EPRT may name (vsftpd refuses privileged ports, IPPORT_RESERVED). */
const FIRST_UNRESERVED_PORT = 1024;

const HELP_LINES = [
  ' ABOR ACCT ALLO APPE CDUP CWD  DELE EPRT EPSV FEAT HELP LIST MDTM MKD',
  ' MODE NLST NOOP OPTS PASS PASV PORT PWD  QUIT REIN REST RETR RMD  RNFR',
  ' RNTO SITE SIZE SMNT STAT STOR STOU STRU SYST TYPE USER XCUP XCWD XMKD',
  ' XPWD XRMD',
];

/** Verbs vsftpd answers "550 Permission denied." when their own branch did not take them (postlogin.c's last list). */
const DENIED_WHEN_UNHANDLED = new Set([
  'PASV', 'PORT', 'STOR', 'MKD', 'XMKD', 'RMD', 'XRMD', 'DELE', 'RNFR', 'RNTO', 'SITE', 'APPE', 'EPSV', 'EPRT', 'RETR', 'LIST', 'NLST', 'STOU', 'ALLO', 'REIN', 'ACCT', 'SMNT', 'FEAT', 'OPTS', 'STAT', 'PBSZ', 'PROT',
]);

/** The failed-login pause for BASE_MS and a random number in [0, 1). */
export function failureDelayMs(baseMs: number, random: number): number {
  return Math.round(baseMs * (1 - FAILURE_DELAY_SPREAD + 2 * FAILURE_DELAY_SPREAD * random));
}

/** A reply's text as vsftpd puts it on the wire: LF in it (from an argument) becomes NUL. */
function replyText(text: string): string {
  return text.replace(/\n/g, '\0');
}

export async function startFtpSensor(cfg: FtpServiceConfig, deps: FtpSensorDeps): Promise<RunningService> {
  const tree = deps.tree ?? buildFakeTree(deps.honeytokens, 'files.localdomain');
  // vsftpd's STAT says how many sessions were open when this one began, this one included.
  const sessions = { live: 0 };
  return startTcpService({
    ...tcpServiceOptions('ftp', cfg, deps),
    onConnection(ctx) {
      new FtpSession(ctx, cfg, deps, tree, sessions).start();
    },
  });
}

/** The first data connection a passive listener gets: the client's, one from elsewhere, or none in time. */
type Accepted = Socket | 'foreign' | undefined;
type DataChannel = { kind: 'pasv'; server: Server; accepted: Promise<Accepted> } | { kind: 'port'; target: HostPort };

type LoginState = 'need-user' | 'need-pass' | 'logged-in';

/** A file this session uploaded: listed, sized and dated, never served back (0600, as anon_world_readable_only wants). */
type Upload = EntryStat & { kind: 'file' };

class FtpSession {
  private buf: Buffer = Buffer.alloc(0);
  private state: LoginState = 'need-user';
  private user = '';
  private anonymous = false;
  private fails = 0;
  private cwd = '/';
  private ascii = true;
  private restart = 0;
  private epsvAll = false;
  private umask = DEFAULT_UMASK;
  private data: DataChannel | undefined;
  /**
   * Every data connection of this session, closed with it: a client that connected to a passive port and
   * sent PASV again, or that never read a listing, kept its socket (paused, no timeout) for as long as
   * the process ran, outside the per-source connection cap.
   */
  private readonly dataSockets = new Set<Socket>();
  /**
   * Passive listeners not yet closed, closed with the session: a transfer waiting for its data
   * connection has taken the listener out of `data`, and a client that sent PASV and LIST and hung up
   * left it listening for DATA_CONNECT_TIMEOUT_MS (200 such sessions left 201 listening ports).
   */
  private readonly listeners = new Set<Server>();
  private busy = false;
  /** Lines read while busy, answered in order afterwards; null is one vsftpd would call an unknown verb. */
  private queue: (FtpCommand | null)[] = [];
  private renameFrom: string | undefined;
  private malformed = 0;
  private readonly uploads = new Map<string, Upload>();
  /** Directories this session has created files in, and when: their listed mtime moves as a real one would. */
  private readonly dirMtimes = new Map<string, Date>();
  private readonly clientIp: string;
  /** The client's address as vsftpd's dual-stack socket shows it ("Connected to ::ffff:192.0.2.7"). */
  private readonly shownIp: string;
  private readonly now: () => Date;
  /** Sessions open when this one began, this one included. */
  private readonly clientCount: number;
  private counted = true;

  constructor(
    private readonly ctx: ConnectionContext,
    private readonly cfg: FtpServiceConfig,
    private readonly deps: FtpSensorDeps,
    private readonly tree: FakeDir,
    private readonly sessions: { live: number },
  ) {
    this.clientCount = ++sessions.live;
    const raw = ctx.socket.remoteAddress ?? '';
    this.clientIp = normaliseIp(raw);
    this.shownIp = isIP(raw) === 4 ? `::ffff:${raw}` : raw;
    this.now = deps.now ?? (() => new Date());
  }

  start(): void {
    this.ctx.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.ctx.socket.once('close', () => {
      this.uncount();
      this.dropData();
      for (const s of this.dataSockets) s.destroy();
      for (const l of this.listeners) l.close();
    });
    // Before the listener's own handler closes the connection: vsftpd's idle_session_timeout says so.
    this.ctx.socket.prependOnceListener('timeout', () => this.reply(421, 'Timeout.'));
    this.reply(220, this.cfg.banner);
  }

  /** Lines after QUIT (sent in the same packet) are still read and recorded, but get no answer. */
  private reply(code: number, text: string): void {
    if (this.ctx.socket.writable) this.ctx.socket.write(`${code} ${replyText(text)}\r\n`);
  }

  private replyLines(code: number, lines: string[], last: string): void {
    if (this.ctx.socket.writable) this.ctx.socket.write(`${code}-${replyText(lines[0]!)}\r\n${lines.slice(1).map((l) => `${replyText(l)}\r\n`).join('')}${code} ${replyText(last)}\r\n`);
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const r = decodeLine(this.buf);
      if (r.status === 'incomplete') return;
      const sample = this.buf.subarray(0, r.consumed);
      this.buf = this.buf.subarray(r.consumed);
      let line: FtpCommand | null;
      if (r.status === 'ok') line = r.command;
      else {
        this.ctx.emitter.emit('protocol.malformed', { reason: r.status === 'empty' ? 'empty line' : r.reason, sample_hex: hexSample(sample) });
        if (r.status === 'malformed' && r.reason === 'command line too long') {
          this.reply(500, 'Input line too long.');
          this.ctx.close('policy');
          return;
        }
        if (++this.malformed >= MAX_MALFORMED_LINES) {
          this.ctx.close('policy');
          return;
        }
        // vsftpd reads an empty line and says nothing; anything else it cannot use is an unknown verb.
        if (r.status === 'empty') continue;
        line = null;
      }
      if (this.busy) {
        if (this.queue.length >= MAX_QUEUED_COMMANDS) {
          this.ctx.close('policy');
          return;
        }
        this.queue.push(line);
        continue;
      }
      this.dispatch(line);
    }
  }

  /** What vsftpd says to a verb it has no branch for. */
  private replyUnknown(): void {
    if (this.state === 'logged-in') this.reply(500, 'Unknown command.');
    else this.reply(530, 'Please login with USER and PASS.');
  }

  private dispatch(line: FtpCommand | null): void {
    const result = line === null ? this.replyUnknown() : this.handle(line);
    if (result instanceof Promise) {
      this.busy = true;
      result
        .catch((err: unknown) => {
          this.ctx.log.warn({ err }, 'ftp command failed');
          this.reply(451, 'Requested action aborted. Local error in processing.');
        })
        .finally(() => {
          this.busy = false;
          // Lines queued behind a pause are answered in order, as vsftpd reads them after it.
          while (this.queue.length > 0 && !this.busy && !this.ctx.socket.destroyed) this.dispatch(this.queue.shift()!);
        });
    }
  }

  private handle(cmd: FtpCommand): void | Promise<void> {
    if (cmd.verb !== 'PASS') this.ctx.emitter.emit('command.input', { input: cmd.raw.slice(0, MAX_LINE_BYTES), known: KNOWN.has(cmd.verb) });
    return this.state === 'logged-in' ? this.handleLoggedIn(cmd) : this.handlePreLogin(cmd);
  }

  /** prelogin.c: USER, PASS, QUIT, FEAT and OPTS; everything else asks for a login. */
  private handlePreLogin({ verb, arg }: FtpCommand): void | Promise<void> {
    switch (verb) {
      case 'USER':
        this.user = arg.slice(0, MAX_CREDENTIAL_CHARS);
        this.state = 'need-pass';
        return this.reply(331, 'Please specify the password.');
      case 'PASS':
        return this.login(arg);
      case 'QUIT':
        return this.quit();
      case 'FEAT':
        return this.feat();
      case 'OPTS':
        return this.opts(arg);
      default:
        return this.reply(530, 'Please login with USER and PASS.');
    }
  }

  /** This session no longer counts as open: vsftpd's process is gone once it has said goodbye. */
  private uncount(): void {
    if (this.counted) this.sessions.live--;
    this.counted = false;
  }

  private quit(): void {
    this.reply(221, 'Goodbye.');
    this.uncount();
    this.ctx.socket.end();
  }

  private feat(): void {
    this.replyLines(211, ['Features:', ...FEATURES.map((f) => ` ${f}`)], 'End');
  }

  private opts(arg: string): void {
    if (asciiUpper(arg) === 'UTF8 ON') this.reply(200, 'Always in UTF8 mode.');
    else this.reply(501, 'Option not understood.');
  }

  private login(password: string): void | Promise<void> {
    if (this.state !== 'need-pass') return this.reply(503, 'Login with USER first.');
    const pass = password.slice(0, MAX_CREDENTIAL_CHARS);
    if (this.user === '') {
      // "USER" alone leaves vsftpd without a user: the password is recorded, the login never tried.
      this.ctx.emitter.emit('auth.attempt', { method: 'password', username: '', password: pass, success: false });
      this.state = 'need-user';
      return this.reply(503, 'Login with USER first.');
    }
    const anonymous = this.cfg.anonymous && ANONYMOUS_USERS.has(asciiUpper(this.user));
    const success = anonymous || (!(/vsftpd/i.test(this.cfg.banner) && FTPUSERS.has(this.user)) && this.deps.policy.allows(this.user, pass));
    this.ctx.emitter.emit('auth.attempt', { method: 'password', username: this.user, password: pass, success });
    if (success) {
      this.state = 'logged-in';
      this.anonymous = anonymous;
      return this.reply(230, 'Login successful.');
    }
    this.state = 'need-user';
    this.fails++;
    const refuse = (): void => {
      this.reply(530, 'Login incorrect.');
      if (this.fails >= this.cfg.max_login_fails) this.ctx.close('policy');
    };
    const delay = failureDelayMs(this.cfg.failure_delay_ms, (this.deps.random ?? Math.random)());
    if (delay <= 0) return refuse();
    return new Promise<void>((resolve) => {
      setTimeout(() => {
        refuse();
        resolve();
      }, delay).unref();
    });
  }

  /** postlogin.c's chain, in its order: a verb its condition turns away falls through to the lists at the end. */
  private handleLoggedIn({ verb, arg }: FtpCommand): void | Promise<void> {
    const anon = this.anonymous;
    switch (verb) {
      case 'QUIT':
        return this.quit();
      case 'PWD':
      case 'XPWD':
        return this.reply(257, `"${this.cwd.replace(/"/g, '""')}" is the current directory`);
      case 'CWD':
      case 'XCWD':
      case 'CDUP':
      case 'XCUP': {
        const target = verb === 'CDUP' || verb === 'XCUP' ? resolvePath(this.cwd, '..') : arg === '' ? undefined : resolvePath(this.cwd, resolveTilde(arg));
        if (target !== undefined && lookup(this.tree, target)?.kind === 'dir') {
          this.cwd = target;
          return this.reply(250, 'Directory successfully changed.');
        }
        return this.reply(550, 'Failed to change directory.');
      }
      case 'PASV':
      case 'P@SW':
        if (this.epsvAll) break;
        return this.passive(false);
      case 'EPSV': {
        const mode = decodeEpsvArg(arg, IPV6_CONTROL);
        if (mode === 'all') {
          this.epsvAll = true;
          return this.reply(200, 'EPSV ALL ok.');
        }
        if (mode === 'bad') return this.reply(522, 'Bad network protocol.');
        return this.passive(true);
      }
      case 'RETR':
        return this.retrieve(arg);
      case 'NOOP':
        return this.reply(200, 'NOOP ok.');
      case 'SYST':
        return this.reply(215, 'UNIX Type: L8');
      case 'HELP':
        return this.replyLines(214, ['The following commands are recognized.', ...HELP_LINES], 'Help OK.');
      case 'LIST':
      case 'NLST':
        return this.list(verb, arg);
      case 'TYPE': {
        const t = asciiUpper(arg);
        if (t === 'I' || t === 'L8' || t === 'L 8') {
          this.ascii = false;
          return this.reply(200, 'Switching to Binary mode.');
        }
        if (t === 'A' || t === 'A N') {
          this.ascii = true;
          return this.reply(200, 'Switching to ASCII mode.');
        }
        return this.reply(500, 'Unrecognised TYPE command.');
      }
      case 'PORT':
        if (this.epsvAll) {
          // Refused unread by vsftpd; a bounce in it is still recorded.
          const target = decodePortArg(arg);
          if (target) this.noteBounce(verb, arg, target);
          break;
        }
        return this.active(verb, arg);
      case 'STOR':
        return this.store(verb, arg);
      case 'MKD':
      case 'XMKD':
        if (anon) break;
        return this.reply(550, 'Create directory operation failed.');
      case 'RMD':
      case 'XRMD':
        if (anon) break;
        return this.reply(550, 'Remove directory operation failed.');
      case 'DELE':
        if (anon) break;
        return this.deleteFile(arg);
      case 'REST':
        this.restart = decodeRestArg(arg);
        return this.reply(350, `Restart position accepted (${this.restart}).`);
      case 'RNFR':
        if (anon) break;
        return this.renameFromCommand(arg);
      case 'RNTO':
        if (anon) break;
        return this.renameTo(arg);
      case 'SIZE':
      case 'MDTM':
        return this.fileInfo(verb, arg);
      case 'SITE':
        if (anon) break;
        return this.site(arg);
      case 'ABOR':
        return this.reply(225, 'No transfer to ABOR.');
      case 'APPE':
        if (anon) break;
        return this.store(verb, arg);
      case 'EPRT':
        return this.active(verb, arg);
      case 'STRU':
        return asciiUpper(arg) === 'F' ? this.reply(200, 'Structure set to F.') : this.reply(504, 'Bad STRU command.');
      case 'MODE':
        return asciiUpper(arg) === 'S' ? this.reply(200, 'Mode set to S.') : this.reply(504, 'Bad MODE command.');
      case 'STOU':
        return this.store(verb, arg);
      case 'ALLO':
        return this.reply(202, 'ALLO command ignored.');
      case 'REIN':
      case 'ACCT':
      case 'SMNT':
        return this.reply(502, `${verb} not implemented.`);
      case 'FEAT':
        return this.feat();
      case 'OPTS':
        return this.opts(arg);
      case 'STAT':
        return arg === '' ? this.status() : this.statFile(arg);
      case 'USER':
        if (anon) return this.reply(530, 'Can\'t change from guest user.');
        if (arg === this.user) return this.reply(331, 'Any password will do.');
        return this.reply(530, 'Can\'t change to another user.');
      case 'PASS':
        return this.reply(230, 'Already logged in.');
    }
    if (DENIED_WHEN_UNHANDLED.has(verb)) return this.reply(550, 'Permission denied.');
    return this.reply(500, 'Unknown command.');
  }

  private status(): void {
    this.replyLines(
      211,
      [
        'FTP server status:',
        `     Connected to ${this.shownIp}`,
        `     Logged in as ${this.anonymous ? 'ftp' : this.user}`,
        `     TYPE: ${this.ascii ? 'ASCII' : 'BINARY'}`,
        '     No session bandwidth limit',
        `     Session timeout in seconds is ${this.cfg.idle_timeout_s}`,
        '     Control connection is plain text',
        '     Data connections will be plain text',
        `     At session startup, client count was ${this.clientCount}`,
        `     ${/vsftpd/i.test(this.cfg.banner) ? 'vsFTPd 3.0.3 - secure, fast, stable' : 'FTP server'}`,
      ],
      'End of status',
    );
  }

  /** STAT with an argument: the listing on the control connection, dot entries included. */
  private statFile(arg: string): void {
    const listing = listDirectory(this.tree, this.cwd, arg, { longLines: true, statCommand: true, now: this.now(), extra: this.uploads, dirMtimes: this.dirMtimes });
    if (!this.ctx.socket.writable) return;
    this.ctx.socket.write(`213-Status follows:\r\n${listing.lines.map((l) => `${replyText(l)}\r\n`).join('')}213 End of status\r\n`);
  }

  /** A node of the tree or one of this session's uploads, by absolute path. */
  private find(path: string | undefined): { node: 'dir' | 'file'; upload?: Upload; size: number; mtime: Date } | undefined {
    if (path === undefined) return undefined;
    const up = this.uploads.get(path);
    if (up) return { node: 'file', upload: up, size: up.size, mtime: up.mtime };
    const n = lookup(this.tree, path);
    if (!n) return undefined;
    return n.kind === 'dir' ? { node: 'dir', size: 4096, mtime: n.mtime } : { node: 'file', size: n.content.length, mtime: n.mtime };
  }

  private fileInfo(verb: 'SIZE' | 'MDTM', arg: string): void {
    if (verb === 'MDTM' && !this.anonymous) {
      // "MDTM 20240101000000 name" sets the time (mdtm_write); the tree is root's, an upload the user's.
      const sp = arg.indexOf(' ');
      if (sp === 8 || sp === 14 || (sp > 15 && arg[14] === '.')) {
        if (arg[0]! >= '0' && arg[0]! <= '9' && this.find(resolvePath(this.cwd, resolveTilde(arg))) === undefined) {
          const target = this.find(resolvePath(this.cwd, resolveTilde(arg.slice(sp + 1))));
          if (target?.upload) {
            const t = /^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?/.exec(arg);
            if (t) target.upload.mtime = new Date(Date.UTC(Number(t[1]), Number(t[2]) - 1, Number(t[3]), Number(t[4] ?? 0), Number(t[5] ?? 0), Number(t[6] ?? 0)));
            return this.reply(213, 'File modification time set.');
          }
          return this.reply(550, 'Could not set file modification time.');
        }
      }
    }
    const found = this.find(resolvePath(this.cwd, resolveTilde(arg)));
    if (found?.node !== 'file') return this.reply(550, verb === 'SIZE' ? 'Could not get file size.' : 'Could not get file modification time.');
    return this.reply(213, verb === 'SIZE' ? String(found.size) : mdtm(found.mtime));
  }

  /** The directory holding PATH changed now (an entry made, removed or renamed). */
  private touchDir(path: string): void {
    this.dirMtimes.set(path.slice(0, path.lastIndexOf('/')) || '/', this.now());
  }

  private deleteFile(arg: string): void {
    const path = resolvePath(this.cwd, resolveTilde(arg));
    if (path !== undefined && this.uploads.delete(path)) {
      this.touchDir(path);
      return this.reply(250, 'Delete operation successful.');
    }
    return this.reply(550, 'Delete operation failed.');
  }

  private renameFromCommand(arg: string): void {
    this.renameFrom = undefined;
    const path = resolvePath(this.cwd, resolveTilde(arg));
    if (path === undefined || this.find(path) === undefined) return this.reply(550, 'RNFR command failed.');
    this.renameFrom = path;
    return this.reply(350, 'Ready for RNTO.');
  }

  private renameTo(arg: string): void {
    const from = this.renameFrom;
    if (from === undefined) return this.reply(503, 'RNFR required first.');
    this.renameFrom = undefined;
    const to = resolvePath(this.cwd, resolveTilde(arg));
    const upload = this.uploads.get(from);
    // Only the user's own uploads can move: the tree is root's.
    if (upload && to !== undefined && to !== '/' && this.find(to)?.node !== 'dir' && lookup(this.tree, to.slice(0, to.lastIndexOf('/')) || '/')?.kind === 'dir') {
      this.uploads.delete(from);
      this.uploads.set(to, upload);
      this.touchDir(from);
      this.touchDir(to);
      return this.reply(250, 'Rename successful.');
    }
    return this.reply(550, 'Rename failed.');
  }

  /** SITE for local users (anonymous ones are refused before): CHMOD, UMASK, HELP. */
  private site(arg: string): void {
    const sp = arg.indexOf(' ');
    const sub = asciiUpper(sp < 0 ? arg : arg.slice(0, sp));
    const rest = sp < 0 ? '' : arg.slice(sp + 1);
    if (sub === 'CHMOD') {
      const sp2 = rest.indexOf(' ');
      const name = sp2 < 0 ? '' : rest.slice(sp2 + 1);
      if (rest === '' || name === '') return this.reply(500, 'SITE CHMOD needs 2 arguments.');
      const upload = this.uploads.get(resolvePath(this.cwd, resolveTilde(name)) ?? '');
      if (!upload) return this.reply(550, 'SITE CHMOD command failed.');
      upload.mode = modeText(octal(rest.slice(0, sp2)) & 0o777);
      return this.reply(200, 'SITE CHMOD command ok.');
    }
    if (sub === 'UMASK') {
      if (rest === '') return this.reply(200, `Your current UMASK is ${octalText(this.umask)}`);
      this.umask = octal(rest) & 0o777;
      return this.reply(200, `UMASK set to ${octalText(this.umask)}`);
    }
    if (sub === 'HELP') return this.reply(214, 'CHMOD UMASK HELP');
    return this.reply(500, 'Unknown SITE command.');
  }

  private dropData(): void {
    const d = this.data;
    this.data = undefined;
    if (d?.kind !== 'pasv') return;
    d.server.close();
    // Connected but never used for a transfer: nothing will read or close it.
    void d.accepted.then((s) => (typeof s === 'object' ? s.destroy() : undefined));
  }

  /** Tracks S as one of this session's data connections, idle-limited and gone when it closes. */
  private adopt(s: Socket): Socket {
    this.dataSockets.add(s);
    s.setTimeout(DATA_IDLE_TIMEOUT_MS, () => {
      // vsftpd's data_connection_timeout ends the session, not only the transfer.
      this.reply(421, 'Data timeout. Reconnect. Sorry.');
      s.destroy();
      this.ctx.close('idle_timeout');
    });
    s.once('close', () => this.dataSockets.delete(s));
    if (this.ctx.socket.destroyed) s.destroy();
    return s;
  }

  private passive(extended: boolean): void {
    this.dropData();
    const local = normaliseIp(this.ctx.socket.localAddress ?? '127.0.0.1');
    const server = createServer({ pauseOnConnect: true });
    this.listeners.add(server);
    const accepted = new Promise<Accepted>((resolve) => {
      const timer = setTimeout(() => {
        server.close();
        resolve(undefined);
      }, DATA_CONNECT_TIMEOUT_MS);
      timer.unref();
      server.once('connection', (s) => {
        s.on('error', () => {});
        clearTimeout(timer);
        const port = (server.address() as { port: number } | null)?.port ?? 0;
        server.close();
        // vsftpd's pasv_promiscuous=NO: the data connection must come from the control connection's host.
        if (normaliseIp(s.remoteAddress ?? '') !== this.clientIp) {
          this.ctx.emitter.emit('tunnel.request', { target_host: local, target_port: port, orig_ip: normaliseIp(s.remoteAddress ?? ''), orig_port: s.remotePort ?? 0 });
          s.destroy();
          resolve('foreign');
          return;
        }
        resolve(this.adopt(s));
      });
      server.on('error', () => resolve(undefined));
      // Closed (with its session, before anyone connected, or after): the transfer waiting for it ends now.
      server.once('close', () => {
        this.listeners.delete(server);
        clearTimeout(timer);
        resolve(undefined);
      });
    });
    this.data = { kind: 'pasv', server, accepted };
    server.listen({ host: local, port: 0, backlog: 4 }, () => {
      const port = (server.address() as { port: number }).port;
      if (extended) this.reply(229, `Entering Extended Passive Mode (|||${port}|)`);
      // An IPv6 client has no IPv4 address for PASV: vsftpd sends zeros.
      else this.reply(227, `Entering Passive Mode (${encodePasv(this.cfg.passive_address ?? (isIP(local) === 4 ? local : '0.0.0.0'), port)}).`);
    });
  }

  /** FTP bounce (CVE-1999-0017): the server would open connections to a third host for the client. Recorded only. */
  private noteBounce(verb: string, arg: string, target: HostPort): boolean {
    if (normaliseIp(target.host) === this.clientIp) return false;
    this.ctx.emitter.emit('exploit.attempt', { name: 'ftp-bounce', cve: 'CVE-1999-0017', detail: `${verb} ${arg.slice(0, 100)} -> ${target.host}:${target.port}` });
    this.ctx.emitter.emit('tunnel.request', { target_host: target.host, target_port: target.port });
    return true;
  }

  private active(verb: 'PORT' | 'EPRT', arg: string): void {
    this.dropData();
    let target: HostPort;
    if (verb === 'PORT') {
      const t = decodePortArg(arg);
      if (!t) return this.reply(500, 'Illegal PORT command.');
      target = t;
    } else {
      const r = decodeEprtArg(arg, IPV6_CONTROL);
      if (!r.ok) return this.reply(500, r.reply);
      target = { host: r.host, port: r.port };
    }
    if (this.noteBounce(verb, arg, target) || target.port < FIRST_UNRESERVED_PORT) return this.reply(500, `Illegal ${verb} command.`);
    this.data = { kind: 'port', target: { host: this.clientIp, port: target.port } };
    this.reply(200, verb === 'PORT' ? 'PORT command successful. Consider using PASV.' : 'EPRT command successful. Consider using EPSV.');
  }

  /** The data connection for a transfer, or undefined (and a 425 sent) when none is made. */
  private async openData(): Promise<Socket | undefined> {
    const d = this.data;
    this.data = undefined;
    if (!d) {
      this.reply(425, 'Use PORT or PASV first.');
      return undefined;
    }
    if (d.kind === 'pasv') {
      const s = await d.accepted;
      if (s === 'foreign') this.reply(425, 'Security: Bad IP connecting.');
      else if (!s) this.reply(425, 'Failed to establish connection.');
      return typeof s === 'object' ? s : undefined;
    }
    return new Promise((resolve) => {
      const s = connect({ host: d.target.host, port: d.target.port, timeout: DATA_CONNECT_TIMEOUT_MS });
      const fail = (): void => {
        s.destroy();
        this.reply(425, 'Failed to establish connection.');
        resolve(undefined);
      };
      s.once('timeout', fail);
      s.once('error', fail);
      s.once('connect', () => {
        s.off('timeout', fail).off('error', fail).on('error', () => {});
        resolve(this.adopt(s));
      });
    });
  }

  /**
   * Sends BYTES on the data connection, closes it, then says DONE: as vsftpd, once the bytes are out,
   * not once the client has closed its side (lftp sends ABOR when the file is in and no 226 is).
   */
  private async sendData(bytes: Buffer, opening: string, done: string): Promise<void> {
    const s = await this.openData();
    if (!s) return;
    this.reply(150, opening);
    s.resume();
    const flushed = await new Promise<boolean>((resolve) => {
      s.once('close', () => resolve(false));
      s.on('error', () => resolve(false));
      s.end(bytes, () => resolve(true));
    });
    // Closing a socket with bytes still queued in the kernel sends them, then the FIN.
    s.destroy();
    if (this.ctx.socket.destroyed) return;
    if (flushed) this.reply(226, done);
    else this.reply(426, 'Failure writing network stream.');
  }

  private list(verb: 'LIST' | 'NLST', arg: string): Promise<void> | void {
    if (!this.data) return this.reply(425, 'Use PORT or PASV first.');
    const listing = listDirectory(this.tree, this.cwd, arg, { longLines: verb === 'LIST', statCommand: false, now: this.now(), extra: this.uploads, dirMtimes: this.dirMtimes });
    const body = Buffer.from(listing.lines.map((l) => `${l}\r\n`).join(''));
    return this.sendData(body, 'Here comes the directory listing.', listing.opened ? 'Directory send OK.' : 'Transfer done (but failed to open directory).');
  }

  private retrieve(arg: string): Promise<void> | void {
    const offset = this.restart;
    this.restart = 0;
    if (!this.data) return this.reply(425, 'Use PORT or PASV first.');
    if (this.ascii && offset !== 0) return this.reply(550, 'No support for resume of ASCII transfer.');
    const p = resolvePath(this.cwd, resolveTilde(arg));
    const node = p === undefined ? undefined : lookup(this.tree, p);
    if (node?.kind !== 'file') return this.reply(550, 'Failed to open file.');
    // ascii_download_enable=NO: "ASCII" transfers go as they are, and say BINARY.
    return this.sendData(node.content.subarray(Math.min(offset, node.content.length)), `Opening BINARY mode data connection for ${arg} (${node.content.length} bytes).`, 'Transfer complete.');
  }

  /** STOU's name: the one asked for when free, else NAME.1, NAME.2, ... ("STOU.n" for none), as vsftpd picks. */
  private uniqueName(arg: string): string {
    const taken = (name: string): boolean => this.find(resolvePath(this.cwd, resolveTilde(name))) !== undefined;
    if (arg !== '' && !taken(arg)) return arg;
    const base = arg === '' ? 'STOU' : arg;
    for (let n = 1; n <= MAX_SESSION_UPLOADS + 1; n++) if (!taken(`${base}.${n}`)) return `${base}.${n}`;
    return `${base}.${MAX_SESSION_UPLOADS + 2}`;
  }

  /**
   * STOR, APPE (local users) and STOU. Anonymous users create new files in the ftp account's
   * directories only (anon_upload_enable; "553 Could not create file." elsewhere and over existing
   * names); local users may write any new name whose directory exists, and over their own uploads.
   */
  private async store(verb: 'STOR' | 'APPE' | 'STOU', arg: string): Promise<void> {
    this.restart = 0;
    if (!this.data) return this.reply(425, 'Use PORT or PASV first.');
    const name = verb === 'STOU' ? this.uniqueName(arg) : arg;
    const p = resolvePath(this.cwd, resolveTilde(name));
    const parent = p === undefined ? undefined : lookup(this.tree, p.slice(0, p.lastIndexOf('/')) || '/');
    const existing = this.find(p);
    // Nobody overwrites root's files; anonymous users create only, and only in the ftp account's directories.
    const allowed =
      p !== undefined && p !== '/' && parent?.kind === 'dir' && (existing === undefined || existing.upload !== undefined) && (!this.anonymous || (parent.owner !== undefined && existing === undefined));
    if (!allowed) return this.reply(553, 'Could not create file.');
    // An anonymous upload is the ftp account's: the owner of the directory it was allowed into.
    const owner = this.anonymous && parent?.kind === 'dir' ? parent.owner : undefined;
    const s = await this.openData();
    if (!s) return;
    this.reply(150, verb === 'STOU' ? `FILE: ${name}` : 'Ok to send data.');
    const upload = new UploadBuffer(this.cfg.max_upload_bytes, this.ctx.emitter.identity.src_ip);
    await new Promise<void>((resolve) => {
      s.on('data', (chunk: Buffer) => {
        upload.write(chunk);
        // Far beyond the cap: stop reading rather than count forever.
        if (upload.offered > this.cfg.max_upload_bytes * 2 + 1024 * 1024) s.destroy();
      });
      s.once('close', () => resolve());
      s.on('error', () => {});
      s.resume();
    });
    // 226 once the file is in quarantine, as vsftpd answers once it is on disk.
    await storeUpload(this.deps.capture, this.ctx.emitter, p, upload);
    const earlier = this.uploads.get(p);
    if (earlier || this.uploads.size < MAX_SESSION_UPLOADS) {
      if (!earlier) this.touchDir(p);
      this.uploads.set(p, {
        kind: 'file',
        // An existing file keeps its mode; a new one is 0666 less the umask.
        mode: earlier?.mode ?? modeText(0o666 & ~this.umask),
        links: 1,
        uid: owner?.uid ?? LOCAL_UID,
        gid: owner?.gid ?? LOCAL_GID,
        size: (verb === 'APPE' ? (earlier?.size ?? 0) : 0) + upload.offered,
        mtime: this.now(),
      });
    }
    if (!this.ctx.socket.destroyed) this.reply(226, 'Transfer complete.');
  }
}

/** vsftpd's str_octal_to_uint: octal digits up to the first other character. */
function octal(s: string): number {
  let v = 0;
  for (let i = 0; i < s.length && i < 12 && s[i]! >= '0' && s[i]! <= '7'; i++) v = v * 8 + (s.charCodeAt(i) - 48);
  return v;
}

/** vsftpd's uint_to_octal: "0" then the digits ("077"), or "0". */
function octalText(n: number): string {
  return n === 0 ? '0' : `0${n.toString(8)}`;
}

/** "-rw-------" for a regular file with permission bits N. */
function modeText(n: number): string {
  const bit = (mask: number, c: string): string => (n & mask ? c : '-');
  return `-${bit(0o400, 'r')}${bit(0o200, 'w')}${bit(0o100, 'x')}${bit(0o40, 'r')}${bit(0o20, 'w')}${bit(0o10, 'x')}${bit(0o4, 'r')}${bit(0o2, 'w')}${bit(0o1, 'x')}`;
}

const KNOWN = new Set([
  'USER', 'PASS', 'QUIT', 'SYST', 'FEAT', 'OPTS', 'NOOP', 'HELP', 'PWD', 'XPWD', 'CWD', 'XCWD', 'CDUP', 'XCUP', 'TYPE', 'MODE', 'STRU', 'STAT', 'PASV', 'EPSV', 'PORT', 'EPRT',
  'LIST', 'NLST', 'SIZE', 'MDTM', 'RETR', 'STOR', 'APPE', 'STOU', 'REST', 'ABOR', 'ALLO', 'MKD', 'XMKD', 'RMD', 'XRMD', 'DELE', 'SITE', 'RNFR', 'RNTO', 'AUTH',
  'ACCT', 'REIN', 'SMNT', 'PBSZ', 'PROT', 'P@SW',
]);
