// The FTP sensor: a vsftpd look-alike. Logins go through the auth policy (anonymous when enabled),
// the fake tree is listed and downloaded, uploads (STOR/APPE) go to quarantine, passive and active
// data connections work, and an active-mode PORT/EPRT to a third host is recorded as an FTP bounce
// attempt and never connected. Every command is recorded.
import { createServer, connect, isIP, type Server, type Socket } from 'node:net';
import type { FtpServiceConfig } from '../../config/schema.js';
import { normaliseIp } from '../../events/emitter.js';
import { hexSample } from '../../wire/reader.js';
import { MAX_CREDENTIAL_CHARS } from '../runtime/auth-policy.js';
import type { CapturingSensorDeps } from '../runtime/sensor-deps.js';
import { storeUpload, UploadBuffer } from '../runtime/capture.js';
import { startTcpService, tcpServiceOptions, type ConnectionContext, type RunningService } from '../runtime/listener.js';
import { decodeEprtArg, decodeLine, decodePortArg, encodePasv, MAX_LINE_BYTES, type FtpCommand, type HostPort } from './command.js';
import { buildFakeTree, listLine, lookup, mdtm, resolvePath, type FakeDir } from './fake-tree.js';

/** Seconds a data connection may take to be made (vsftpd's connect/accept timeouts are 60). */
export const DATA_CONNECT_TIMEOUT_MS = 15_000;
/** A data connection that moves no bytes for this long is closed (vsftpd's data_connection_timeout). */
export const DATA_IDLE_TIMEOUT_MS = 60_000;
/** Commands queued while a transfer runs; a client that pipelines more is disconnected. */
export const MAX_QUEUED_COMMANDS = 32;
/** Unparsable lines one connection may send before it is closed (each is recorded). */
export const MAX_MALFORMED_LINES = 16;
/** Uploaded names shown in one session's listings. */
export const MAX_SESSION_UPLOADS = 256;

export type FtpSensorDeps = CapturingSensorDeps;

const FEATURES = ['EPRT', 'EPSV', 'MDTM', 'PASV', 'REST STREAM', 'SIZE', 'TVFS', 'UTF8'];
const ANONYMOUS_USERS = new Set(['anonymous', 'ftp']);

export async function startFtpSensor(cfg: FtpServiceConfig, deps: FtpSensorDeps): Promise<RunningService> {
  const tree = buildFakeTree(deps.honeytokens, 'files.localdomain');
  return startTcpService({
    ...tcpServiceOptions('ftp', cfg, deps),
    onConnection(ctx) {
      new FtpSession(ctx, cfg, deps, tree).start();
    },
  });
}

type DataChannel = { kind: 'pasv'; server: Server; accepted: Promise<Socket | undefined> } | { kind: 'port'; target: HostPort };

type LoginState = 'need-user' | 'need-pass' | 'logged-in';

class FtpSession {
  private buf: Buffer = Buffer.alloc(0);
  private state: LoginState = 'need-user';
  private user = '';
  private fails = 0;
  private cwd = '/';
  private type: 'A' | 'I' = 'A';
  private data: DataChannel | undefined;
  /**
   * Every data connection of this session, closed with it: a client that connected to a passive port and
   * sent PASV again, or that never read a listing, kept its socket (paused, no timeout) for as long as
   * the process ran, outside the per-source connection cap.
   */
  private readonly dataSockets = new Set<Socket>();
  private busy = false;
  private queue: FtpCommand[] = [];
  private renameFrom: string | undefined;
  private malformed = 0;
  private readonly uploads = new Map<string, number>();
  private readonly clientIp: string;

  constructor(
    private readonly ctx: ConnectionContext,
    private readonly cfg: FtpServiceConfig,
    private readonly deps: FtpSensorDeps,
    private readonly tree: FakeDir,
  ) {
    this.clientIp = normaliseIp(ctx.socket.remoteAddress ?? '');
  }

  start(): void {
    this.ctx.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.ctx.socket.once('close', () => {
      this.dropData();
      for (const s of this.dataSockets) s.destroy();
    });
    this.reply(220, this.cfg.banner);
  }

  private reply(code: number, text: string): void {
    if (!this.ctx.socket.destroyed) this.ctx.socket.write(`${code} ${text}\r\n`);
  }

  private replyLines(code: number, lines: string[], last: string): void {
    if (!this.ctx.socket.destroyed) this.ctx.socket.write(`${code}-${lines[0]}\r\n${lines.slice(1).map((l) => `${l}\r\n`).join('')}${code} ${last}\r\n`);
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const r = decodeLine(this.buf);
      if (r.status === 'incomplete') return;
      const sample = this.buf.subarray(0, r.consumed);
      this.buf = this.buf.subarray(r.consumed);
      if (r.status === 'malformed') {
        this.ctx.emitter.emit('protocol.malformed', { reason: r.reason, sample_hex: hexSample(sample) });
        if (r.reason === 'command line too long') {
          this.reply(500, 'Input line too long.');
          this.ctx.close('policy');
          return;
        }
        this.reply(500, 'Unknown command.');
        if (++this.malformed >= MAX_MALFORMED_LINES) {
          this.ctx.close('policy');
          return;
        }
        continue;
      }
      if (this.busy) {
        if (this.queue.length >= MAX_QUEUED_COMMANDS) {
          this.ctx.close('policy');
          return;
        }
        this.queue.push(r.command);
        continue;
      }
      this.dispatch(r.command);
    }
  }

  private dispatch(cmd: FtpCommand): void {
    const result = this.handle(cmd);
    if (result instanceof Promise) {
      this.busy = true;
      result
        .catch((err: unknown) => {
          this.ctx.log.warn({ err }, 'ftp command failed');
          this.reply(451, 'Requested action aborted. Local error in processing.');
        })
        .finally(() => {
          this.busy = false;
          const next = this.queue.shift();
          if (next && !this.ctx.socket.destroyed) this.dispatch(next);
        });
    }
  }

  private handle(cmd: FtpCommand): void | Promise<void> {
    const { verb, arg } = cmd;
    if (verb !== 'PASS') this.ctx.emitter.emit('command.input', { input: cmd.raw.slice(0, MAX_LINE_BYTES), known: KNOWN.has(verb) });
    switch (verb) {
      case 'USER':
        if (this.state === 'logged-in') return this.reply(530, 'Can\'t change to another user.');
        this.user = arg.slice(0, MAX_CREDENTIAL_CHARS);
        this.state = 'need-pass';
        return this.reply(331, 'Please specify the password.');
      case 'PASS':
        return this.login(arg);
      case 'QUIT':
        this.reply(221, 'Goodbye.');
        this.ctx.socket.end();
        return;
      case 'FEAT':
        return this.replyLines(211, ['Features:', ...FEATURES.map((f) => ` ${f}`)], 'End');
      case 'OPTS':
        return /^utf8 on$/i.test(arg.trim()) ? this.reply(200, 'Always in UTF8 mode.') : this.reply(501, 'Option not understood.');
    }
    // Like vsftpd's prelogin.c: only USER, PASS, QUIT, FEAT and OPTS before a login.
    if (this.state !== 'logged-in') return this.reply(530, 'Please login with USER and PASS.');
    switch (verb) {
      case 'SYST':
        return this.reply(215, 'UNIX Type: L8');
      case 'NOOP':
        return this.reply(200, 'NOOP ok.');
      case 'HELP':
        return this.replyLines(214, ['The following commands are recognized.', ' ABOR ACCT ALLO APPE CDUP CWD  DELE EPRT EPSV FEAT HELP LIST MDTM MKD', ' MODE NLST NOOP OPTS PASS PASV PORT PWD  QUIT REIN REST RETR RMD  RNFR', ' RNTO SITE SIZE SMNT STAT STOR STOU STRU SYST TYPE USER XCUP XCWD XMKD', ' XPWD XRMD'], 'Help OK.');
      case 'PWD':
      case 'XPWD':
        return this.reply(257, `"${this.cwd.replace(/"/g, '""')}" is the current directory`);
      case 'CWD':
      case 'XCWD':
      case 'CDUP':
      case 'XCUP': {
        const target = resolvePath(this.cwd, verb === 'CDUP' || verb === 'XCUP' ? '..' : arg);
        if (target !== undefined && lookup(this.tree, target)?.kind === 'dir') {
          this.cwd = target;
          return this.reply(250, 'Directory successfully changed.');
        }
        return this.reply(550, 'Failed to change directory.');
      }
      case 'TYPE': {
        const t = arg.trim().toUpperCase();
        if (t === 'I' || t === 'L 8') {
          this.type = 'I';
          return this.reply(200, 'Switching to Binary mode.');
        }
        if (t === 'A' || t === 'A N') {
          this.type = 'A';
          return this.reply(200, 'Switching to ASCII mode.');
        }
        return this.reply(500, 'Unrecognised TYPE command.');
      }
      case 'MODE':
        return arg.trim().toUpperCase() === 'S' ? this.reply(200, 'Mode set to S.') : this.reply(504, 'Bad MODE command.');
      case 'STRU':
        return arg.trim().toUpperCase() === 'F' ? this.reply(200, 'Structure set to F.') : this.reply(504, 'Bad STRU command.');
      case 'STAT':
        return this.replyLines(
          211,
          ['FTP server status:', `     Connected to ${this.clientIp}`, `     Logged in as ${ANONYMOUS_USERS.has(this.user.toLowerCase()) ? 'ftp' : this.user.replace(/[\r\n]/g, '')}`, `     TYPE: ${this.type === 'I' ? 'BINARY' : 'ASCII'}`, '     No session bandwidth limit', `     Session timeout in seconds is ${this.cfg.idle_timeout_s}`, '     Control connection is plain text', '     Data connections will be plain text', '     At session startup, client count was 1', `     ${/vsftpd/i.test(this.cfg.banner) ? 'vsFTPd 3.0.3 - secure, fast, stable' : 'FTP server'}`],
          'End of status',
        );
      case 'PASV':
        return this.passive(false);
      case 'EPSV':
        return arg.trim().toUpperCase() === 'ALL' ? this.reply(200, 'EPSV ALL ok.') : this.passive(true);
      case 'PORT':
      case 'EPRT':
        return this.active(verb, arg);
      case 'LIST':
      case 'NLST':
        return this.list(verb, arg);
      case 'SIZE':
      case 'MDTM': {
        const p = resolvePath(this.cwd, arg);
        const node = p === undefined ? undefined : lookup(this.tree, p);
        if (node?.kind !== 'file') return this.reply(550, verb === 'SIZE' ? 'Could not get file size.' : 'Could not get file modification time.');
        return this.reply(213, verb === 'SIZE' ? String(node.content.length) : mdtm(node.mtime));
      }
      case 'RETR':
        return this.retrieve(arg);
      case 'STOR':
      case 'APPE':
      case 'STOU':
        return this.store(verb, arg);
      case 'REST':
        return /^\d{1,18}$/.test(arg.trim()) ? this.reply(350, `Restart position accepted (${arg.trim()}).`) : this.reply(554, 'Bad REST command.');
      case 'ABOR':
        return this.reply(225, 'No transfer to ABOR.');
      case 'ALLO':
        return this.reply(202, 'ALLO command ignored.');
      case 'MKD':
      case 'XMKD':
      case 'RMD':
      case 'XRMD':
      case 'DELE':
      case 'SITE':
        return this.reply(550, 'Permission denied.');
      case 'RNFR':
        this.renameFrom = arg;
        return this.reply(350, 'Ready for RNTO.');
      case 'RNTO':
        if (this.renameFrom === undefined) return this.reply(503, 'RNFR required first.');
        this.renameFrom = undefined;
        return this.reply(550, 'Rename failed.');
      default:
        return this.reply(500, 'Unknown command.');
    }
  }

  private login(password: string): void {
    if (this.state === 'logged-in') return this.reply(230, 'Already logged in.');
    if (this.state !== 'need-pass') return this.reply(503, 'Login with USER first.');
    const pass = password.slice(0, MAX_CREDENTIAL_CHARS);
    const anonymous = this.cfg.anonymous && ANONYMOUS_USERS.has(this.user.toLowerCase());
    const success = anonymous || this.deps.policy.allows(this.user, pass);
    this.ctx.emitter.emit('auth.attempt', { method: 'password', username: this.user, password: pass, success });
    if (success) {
      this.state = 'logged-in';
      return this.reply(230, 'Login successful.');
    }
    this.state = 'need-user';
    this.fails++;
    this.reply(530, 'Login incorrect.');
    if (this.fails >= this.cfg.max_login_fails) this.ctx.close('policy');
  }

  private dropData(): void {
    const d = this.data;
    this.data = undefined;
    if (d?.kind !== 'pasv') return;
    d.server.close();
    // Connected but never used for a transfer: nothing will read or close it.
    void d.accepted.then((s) => s?.destroy());
  }

  /** Tracks S as one of this session's data connections, idle-limited and gone when it closes. */
  private adopt(s: Socket): Socket {
    this.dataSockets.add(s);
    s.setTimeout(DATA_IDLE_TIMEOUT_MS, () => s.destroy());
    s.once('close', () => this.dataSockets.delete(s));
    if (this.ctx.socket.destroyed) s.destroy();
    return s;
  }

  private passive(extended: boolean): void {
    this.dropData();
    const local = normaliseIp(this.ctx.socket.localAddress ?? '127.0.0.1');
    if (!extended && isIP(local) !== 4 && !this.cfg.passive_address) return this.reply(425, 'Use EPSV with IPv6.');
    const server = createServer({ pauseOnConnect: true });
    const accepted = new Promise<Socket | undefined>((resolve) => {
      const timer = setTimeout(() => {
        server.close();
        resolve(undefined);
      }, DATA_CONNECT_TIMEOUT_MS);
      timer.unref();
      server.on('connection', (s) => {
        s.on('error', () => {});
        // vsftpd's pasv_promiscuous=NO: the data connection must come from the control connection's host.
        if (normaliseIp(s.remoteAddress ?? '') !== this.clientIp) {
          this.ctx.emitter.emit('tunnel.request', { target_host: local, target_port: (server.address() as { port: number }).port, orig_ip: normaliseIp(s.remoteAddress ?? ''), orig_port: s.remotePort ?? 0 });
          s.destroy();
          return;
        }
        clearTimeout(timer);
        server.close();
        resolve(this.adopt(s));
      });
      server.on('error', () => resolve(undefined));
    });
    this.data = { kind: 'pasv', server, accepted };
    server.listen({ host: local, port: 0, backlog: 4 }, () => {
      const port = (server.address() as { port: number }).port;
      if (extended) this.reply(229, `Entering Extended Passive Mode (|||${port}|)`);
      else this.reply(227, `Entering Passive Mode (${encodePasv(this.cfg.passive_address ?? local, port)}).`);
    });
  }

  private active(verb: 'PORT' | 'EPRT', arg: string): void {
    this.dropData();
    const target = verb === 'PORT' ? decodePortArg(arg) : decodeEprtArg(arg);
    if (!target) return this.reply(500, `Illegal ${verb} command.`);
    if (normaliseIp(target.host) !== this.clientIp) {
      // FTP bounce (CVE-1999-0017): the server would open connections to a third host for the client.
      this.ctx.emitter.emit('exploit.attempt', { name: 'ftp-bounce', cve: 'CVE-1999-0017', detail: `${verb} ${arg.slice(0, 100)} -> ${target.host}:${target.port}` });
      this.ctx.emitter.emit('tunnel.request', { target_host: target.host, target_port: target.port });
      return this.reply(500, `Illegal ${verb} command.`);
    }
    this.data = { kind: 'port', target };
    this.reply(200, `${verb} command successful. Consider using PASV.`);
  }

  /** The data connection for a transfer, or undefined (and a 425 sent) when there is none. */
  private async openData(): Promise<Socket | undefined> {
    const d = this.data;
    this.data = undefined;
    if (!d) {
      this.reply(425, 'Use PORT or PASV first.');
      return undefined;
    }
    if (d.kind === 'pasv') {
      const s = await d.accepted;
      if (!s) this.reply(425, 'Failed to establish connection.');
      return s;
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

  private async sendData(bytes: Buffer, opening: string, done: string): Promise<void> {
    const s = await this.openData();
    if (!s) return;
    this.reply(150, opening);
    s.resume();
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.on('error', () => resolve());
      s.end(bytes);
    });
    this.reply(226, done);
  }

  private list(verb: 'LIST' | 'NLST', arg: string): Promise<void> | void {
    // Clients send "LIST -la" or "LIST -a dir": options are ignored as vsftpd does.
    const pathArg = arg.split(' ').filter((w) => w && !w.startsWith('-')).join(' ');
    const p = resolvePath(this.cwd, pathArg || '.');
    const node = p === undefined ? undefined : lookup(this.tree, p);
    let lines: string[] = [];
    if (node?.kind === 'dir') {
      const names = [...node.entries.keys()].sort();
      lines = verb === 'NLST' ? names : names.map((n) => listLine(n, node.entries.get(n)!));
      for (const [up, size] of this.uploads) {
        if (up.slice(0, up.lastIndexOf('/')) === (p === '/' ? '' : p)) {
          const name = up.slice(up.lastIndexOf('/') + 1);
          lines.push(verb === 'NLST' ? name : listLine(name, { kind: 'file', content: Buffer.alloc(0), mtime: new Date() }).replace(/ {1,8}0 /, ` ${String(size).padStart(8, ' ')} `));
        }
      }
    } else if (node?.kind === 'file') {
      lines = [verb === 'NLST' ? pathArg : listLine(p!.slice(p!.lastIndexOf('/') + 1), node)];
    }
    const body = Buffer.from(lines.map((l) => `${l}\r\n`).join(''));
    return this.sendData(body, 'Here comes the directory listing.', 'Directory send OK.');
  }

  private retrieve(arg: string): Promise<void> | void {
    const p = resolvePath(this.cwd, arg);
    const node = p === undefined ? undefined : lookup(this.tree, p);
    if (node?.kind !== 'file') return this.reply(550, 'Failed to open file.');
    const name = p!.slice(p!.lastIndexOf('/') + 1);
    const bytes = this.type === 'A' ? Buffer.from(node.content.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1') : node.content;
    return this.sendData(bytes, `Opening ${this.type === 'I' ? 'BINARY' : 'ASCII'} mode data connection for ${name} (${node.content.length} bytes).`, 'Transfer complete.');
  }

  private async store(verb: 'STOR' | 'APPE' | 'STOU', arg: string): Promise<void> {
    const p = resolvePath(this.cwd, verb === 'STOU' ? arg || `stou.${Date.now()}` : arg);
    if (p === undefined || p === '/' || lookup(this.tree, p)?.kind === 'dir') return this.reply(553, 'Could not create file.');
    const s = await this.openData();
    if (!s) return;
    this.reply(150, 'Ok to send data.');
    const upload = new UploadBuffer(this.cfg.max_upload_bytes);
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
    storeUpload(this.deps.capture, this.ctx.emitter, p, upload);
    if (this.uploads.size < MAX_SESSION_UPLOADS) this.uploads.set(p, (verb === 'APPE' ? (this.uploads.get(p) ?? 0) : 0) + upload.offered);
    this.reply(226, 'Transfer complete.');
  }
}

const KNOWN = new Set([
  'USER', 'PASS', 'QUIT', 'SYST', 'FEAT', 'OPTS', 'NOOP', 'HELP', 'PWD', 'XPWD', 'CWD', 'XCWD', 'CDUP', 'XCUP', 'TYPE', 'MODE', 'STRU', 'STAT', 'PASV', 'EPSV', 'PORT', 'EPRT',
  'LIST', 'NLST', 'SIZE', 'MDTM', 'RETR', 'STOR', 'APPE', 'STOU', 'REST', 'ABOR', 'ALLO', 'MKD', 'XMKD', 'RMD', 'XRMD', 'DELE', 'SITE', 'RNFR', 'RNTO', 'AUTH',
]);
