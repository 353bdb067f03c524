// The Telnet sensor: negotiates options as Debian's telnetd does (asks for TTYPE, NEW-ENVIRON and
// NAWS, offers ECHO and SGA), prompts "login:" and "Password:" with the shared auth policy, then
// hands the connection to the same fake shell as SSH. Terminal size, type and environment are
// recorded; bytes that do not parse are recorded as protocol.malformed.
import type { TelnetServiceConfig } from '../../config/schema.js';
import type { AuthPolicy } from '../runtime/auth-policy.js';
import { MAX_CREDENTIAL_CHARS } from '../runtime/auth-policy.js';
import { startTcpService, tcpServiceOptions, type TcpServiceDeps, type ConnectionContext, type RunningService } from '../runtime/listener.js';
import type { ShellEnvironment } from '../shell/environment.js';
import { ShellSession } from '../shell/session.js';
import { hexSample } from '../../wire/reader.js';
import { decodeNaws, decodeNewEnviron, decodeTtype, encodeData, encodeOption, encodeSub, OPT, TelnetDecoder, type Verb } from './codec.js';
import { setOwn } from '../../wire/own-property.js';

export interface TelnetSensorDeps extends TcpServiceDeps {
  policy: AuthPolicy;
  shell: ShellEnvironment;
}

/** Longest login name or password line read before the login prompt. */
export const MAX_LOGIN_LINE = 256;
/** Option negotiations answered per connection (a client looping on options is cut off there). */
export const MAX_NEGOTIATIONS = 200;
/** How long the first option answers are awaited before the banner is shown anyway. */
export const NEGOTIATION_WAIT_MS = 400;

export async function startTelnetSensor(cfg: TelnetServiceConfig, deps: TelnetSensorDeps): Promise<RunningService> {
  return startTcpService({
    ...tcpServiceOptions('telnet', cfg, deps),
    onConnection(ctx) {
      new TelnetConnection(ctx, cfg, deps).start();
    },
  });
}

class TelnetConnection {
  private readonly decoder = new TelnetDecoder();
  private state: 'login' | 'password' | 'wait' | 'shell' | 'closed' = 'login';
  private line = '';
  private user = '';
  private failures = 0;
  private negotiations = 0;
  private width = 80;
  private height = 24;
  private term: string | undefined;
  private readonly env: Record<string, string> = {};
  private readonly asked = new Set<number>();
  private readonly enabled = new Set<number>();
  private shell: ShellSession | undefined;
  private lastCr = false;
  private readonly grace: NodeJS.Timeout;
  private bannerTimer: NodeJS.Timeout | undefined;
  private bannerShown = false;
  private readonly answered = new Set<number>();

  constructor(
    private readonly ctx: ConnectionContext,
    private readonly cfg: TelnetServiceConfig,
    private readonly deps: TelnetSensorDeps,
  ) {
    this.grace = setTimeout(() => ctx.close('login_timeout'), cfg.login_grace_s * 1000);
    this.grace.unref();
    ctx.socket.once('close', () => {
      clearTimeout(this.grace);
      this.state = 'closed';
      void this.shell?.end();
    });
  }

  private raw(b: Buffer): void {
    if (!this.ctx.socket.destroyed) this.ctx.socket.write(b);
  }

  private text(s: string): void {
    this.raw(encodeData(Buffer.from(s.replace(/\r?\n/g, '\r\n'))));
  }

  start(): void {
    // As telnetd does: ask for the terminal's type, speed, display, environment and size first, and
    // show the banner once the client has answered (or after a short wait for clients that never do).
    for (const o of [OPT.TTYPE, OPT.TSPEED, OPT.XDISPLOC, OPT.NEW_ENVIRON, OPT.NAWS]) {
      this.asked.add(o);
      this.raw(encodeOption('do', o));
    }
    this.bannerTimer = setTimeout(() => this.banner(), NEGOTIATION_WAIT_MS);
    this.bannerTimer.unref();
    this.ctx.socket.on('data', (chunk: Buffer) => {
      try {
        this.onBytes(chunk);
      } catch (err) {
        this.ctx.log.warn({ err }, 'telnet handler failed; closing this connection only');
        this.ctx.close('error');
      }
    });
  }

  private banner(): void {
    if (this.bannerShown || this.ctx.socket.destroyed) return;
    this.bannerShown = true;
    clearTimeout(this.bannerTimer);
    this.raw(Buffer.concat([encodeOption('will', OPT.ECHO), encodeOption('will', OPT.SGA)]));
    const issue = this.deps.shell.base.nodes.get('/etc/issue.net');
    const text = issue && issue.kind === 'file' && issue.data ? issue.data.toString() : 'Debian GNU/Linux 12\n';
    this.text(text);
    this.loginPrompt();
  }

  private loginPrompt(): void {
    this.text(`${this.deps.shell.profile.hostname} login: `);
  }

  private onBytes(chunk: Buffer): void {
    for (const ev of this.decoder.feed(chunk)) {
      switch (ev.kind) {
        case 'data':
          this.onData(ev.data);
          break;
        case 'option':
          this.onOption(ev.verb, ev.option);
          break;
        case 'sub':
          this.onSub(ev.option, ev.data);
          break;
        case 'command':
          // IP (244, interrupt) acts like Ctrl-C; the rest (NOP, AYT, ...) are ignored as telnetd does.
          if (ev.code === 244) this.onData(Buffer.from([3]));
          break;
        case 'malformed':
          this.ctx.emitter.emit('protocol.malformed', { reason: ev.reason, sample_hex: hexSample(chunk) });
          break;
      }
    }
  }

  private onOption(verb: Verb, option: number): void {
    if (++this.negotiations > MAX_NEGOTIATIONS) return;
    if ((verb === 'will' || verb === 'wont') && this.asked.has(option)) {
      this.answered.add(option);
      if (!this.bannerShown && [...this.asked].every((o) => this.answered.has(o))) setImmediate(() => this.banner());
    }
    if (verb === 'will') {
      if (option === OPT.LINEMODE) {
        // telnetd supports linemode (RFC 1184); a client in it sends whole lines, which the line
        // discipline here takes the same as keystrokes.
        if (!this.enabled.has(option)) {
          this.enabled.add(option);
          this.raw(encodeOption('do', option));
        }
        return;
      }
      if (this.asked.has(option)) {
        if (this.enabled.has(option)) return;
        this.enabled.add(option);
        if (option === OPT.TTYPE) this.raw(encodeSub(OPT.TTYPE, Buffer.from([1])));
        if (option === OPT.NEW_ENVIRON) this.raw(encodeSub(OPT.NEW_ENVIRON, Buffer.from([1])));
        if (option === OPT.TSPEED) this.raw(encodeSub(OPT.TSPEED, Buffer.from([1])));
        if (option === OPT.XDISPLOC) this.raw(encodeSub(OPT.XDISPLOC, Buffer.from([1])));
      } else this.raw(encodeOption('dont', option));
    } else if (verb === 'do') {
      if (option === OPT.ECHO || option === OPT.SGA) return;
      if (option === OPT.STATUS) return;
      this.raw(encodeOption('wont', option));
    }
  }

  private onSub(option: number, data: Buffer): void {
    if (option === OPT.NAWS) {
      const s = decodeNaws(data);
      if (!s) return;
      this.width = s.width;
      this.height = s.height;
      this.ctx.emitter.emit('client.size', { width: s.width, height: s.height, ...(this.term ? { term: this.term } : {}) });
      this.shell?.resize(s.width, s.height);
    } else if (option === OPT.TTYPE) {
      const t = decodeTtype(data);
      if (t !== undefined) this.term = t.toLowerCase();
    } else if (option === OPT.NEW_ENVIRON || option === OPT.ENVIRON) {
      for (const v of decodeNewEnviron(data) ?? []) {
        if (Object.keys(this.env).length >= 64) break;
        setOwn(this.env, v.name.slice(0, 256), v.value.slice(0, 4096));
        this.ctx.emitter.emit('client.env', { name: v.name.slice(0, 256), value: v.value.slice(0, 4096) });
      }
    }
  }

  private onData(data: Buffer): void {
    if (this.state === 'shell') {
      this.shell?.feed(data);
      return;
    }
    if (this.state === 'wait' || this.state === 'closed') return;
    if (!this.bannerShown) this.banner();
    for (const b of data) {
      if (b === 10 && this.lastCr) {
        this.lastCr = false;
        continue;
      }
      this.lastCr = b === 13;
      if (b === 13 || b === 10) {
        this.text('\n');
        this.enterLine();
        if (this.state !== 'login' && this.state !== 'password') return;
        continue;
      }
      if (b === 0x7f || b === 8) {
        if (this.line.length) {
          this.line = this.line.slice(0, -1);
          if (this.state === 'login') this.text('\b \b');
        }
        continue;
      }
      if (b === 3 || b === 4) {
        this.ctx.close('client');
        return;
      }
      if (b < 0x20 || this.line.length >= MAX_LOGIN_LINE) continue;
      this.line += String.fromCharCode(b);
      if (this.state === 'login') this.raw(encodeData(Buffer.from([b])));
    }
  }

  private enterLine(): void {
    const value = Buffer.from(this.line, 'latin1').toString('utf8');
    this.line = '';
    if (this.state === 'login') {
      if (value === '') {
        this.loginPrompt();
        return;
      }
      this.user = value;
      this.state = 'password';
      this.text('Password: ');
      return;
    }
    if (this.state !== 'password') return;
    const user = this.user.slice(0, MAX_CREDENTIAL_CHARS);
    const password = value.slice(0, MAX_CREDENTIAL_CHARS);
    const ok = this.deps.policy.allows(user, password) || this.deps.shell.acceptsChangedPassword(this.ctx.emitter.identity.src_ip, user, password);
    this.ctx.emitter.emit('auth.attempt', { method: 'password', username: user, password, success: ok });
    if (ok) {
      clearTimeout(this.grace);
      this.startShell(user);
      return;
    }
    this.state = 'wait';
    const retry = (): void => {
      if (this.ctx.socket.destroyed) return;
      this.text('\nLogin incorrect\n');
      if (++this.failures >= this.cfg.max_auth_tries) {
        this.ctx.close('policy');
        return;
      }
      this.state = 'login';
      this.loginPrompt();
    };
    if (this.cfg.failure_delay_ms > 0) setTimeout(retry, this.cfg.failure_delay_ms).unref();
    else retry();
  }

  private startShell(user: string): void {
    this.state = 'shell';
    const s = new ShellSession({
      env: this.deps.shell,
      emitter: this.ctx.emitter,
      username: user,
      pty: true,
      width: this.width,
      height: this.height,
      ...(this.term ? { term: this.term } : {}),
      clientEnv: this.env,
      protocol: 'telnet',
      tty: '/dev/pts/1',
      io: {
        write: (b) => this.raw(encodeData(b)),
        close: () => {
          this.state = 'closed';
          this.ctx.socket.end();
        },
      },
    });
    this.shell = s;
    s.start({ motd: true });
  }
}
