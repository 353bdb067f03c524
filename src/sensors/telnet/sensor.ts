// The Telnet sensor: answers as Debian 12's telnetd (inetutils 2.4 run by inetd, with login(1) and
// PAM behind it) does, byte for byte: its option negotiation (telnetd.ts), its host line, login's
// prompts, echo, pauses and messages, then hands the connection to the same fake shell as SSH.
// Terminal size, type and environment are recorded; bytes that do not parse are recorded as
// protocol.malformed.
import type { TelnetServiceConfig } from '../../config/schema.js';
import type { AuthPolicy } from '../runtime/auth-policy.js';
import { MAX_CREDENTIAL_CHARS } from '../runtime/auth-policy.js';
import { startTcpService, tcpServiceOptions, type TcpServiceDeps, type ConnectionContext, type RunningService } from '../runtime/listener.js';
import type { ShellEnvironment } from '../shell/environment.js';
import { ShellSession } from '../shell/session.js';
import { hexSample } from '../../wire/reader.js';
import { decodeNaws, decodeNewEnviron, encodeData, IAC, OPT, TelnetDecoder, type Verb } from './codec.js';
import { CMD, DebianTelnetd } from './telnetd.js';
import { setOwn } from '../../wire/own-property.js';

export interface TelnetSensorDeps extends TcpServiceDeps {
  policy: AuthPolicy;
  shell: ShellEnvironment;
  /** Uniform [0, 1) source for the failed-login delay's jitter (tests make it fixed). */
  random?: () => number;
}

/** Longest login name or password line read before the login prompt. */
export const MAX_LOGIN_LINE = 256;
/** Option negotiations answered per connection (a client looping on options is cut off there). */
export const MAX_NEGOTIATIONS = 200;
/** Bytes typed before login starts that are kept to be echoed (telnetd's pty echoes them, login then drops them). */
export const MAX_TYPEAHEAD_BYTES = 1024;
/**
 * Time from the host line to login's prompt. On Debian 12 it is about 40 ms (login(1) starting on the
 * pty), and login then drops what was typed in between; hydra sends its user name as soon as the host
 * line arrives, so with that gap its first name was lost, every later pair was off by one, and it never
 * found the password. The prompt therefore comes with the host line.
 */
export const LOGIN_START_MS = 0;
/** The pty telnetd gives the connection, as the fake shell's tty. */
const PTY = 'pts/1';

/**
 * login(1)'s pause after a wrong password on Debian 12: pam_faildelay's delay, which libpam spreads
 * over 0.5x to 1.5x by adding the mean of three uniform draws minus one half (pam_delay.c).
 */
export function pamFailDelay(baseMs: number, random: () => number): number {
  const mean = (random() + random() + random()) / 3;
  return Math.round(baseMs * (0.5 + mean));
}

export async function startTelnetSensor(cfg: TelnetServiceConfig, deps: TelnetSensorDeps): Promise<RunningService> {
  return startTcpService({
    ...tcpServiceOptions('telnet', cfg, deps),
    onConnection(ctx) {
      new TelnetConnection(ctx, cfg, deps).start();
    },
  });
}

type LoginState = 'negotiating' | 'starting' | 'login' | 'password' | 'wait' | 'shell' | 'closed';

class TelnetConnection {
  private readonly decoder = new TelnetDecoder();
  private readonly telnetd = new DebianTelnetd();
  private state: LoginState = 'negotiating';
  private line = '';
  private user = '';
  private failures = 0;
  private negotiations = 0;
  private width = 80;
  private height = 24;
  private readonly env: Record<string, string> = {};
  private shell: ShellSession | undefined;
  private lastCr = false;
  private typeahead: number[] = [];
  /** The pty's ECHO flag: on until the client refuses telnetd's echo, back on once login resets the terminal. */
  private ttyEcho = true;
  /** Set when login flushes its input (the password prompt): the rest of the chunk being read is dropped. */
  private flushInput = false;
  /** A prompt written after the rest of the chunk has been echoed (login prints it after the tty echo). */
  private promptAfter: string | undefined;
  private closeAfter: 'client' | 'policy' | undefined;
  private loginTimer: NodeJS.Timeout | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  private negotiationTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ConnectionContext,
    private readonly cfg: TelnetServiceConfig,
    private readonly deps: TelnetSensorDeps,
  ) {
    ctx.socket.once('close', () => {
      clearTimeout(this.loginTimer);
      clearTimeout(this.startTimer);
      clearTimeout(this.negotiationTimer);
      this.state = 'closed';
      void this.shell?.end();
    });
  }

  /** Output while a chunk is read goes out in one write at its end, as telnetd's buffered output does. */
  private pending: Buffer[] | undefined;
  /** Option answers made while login starts, sent with its prompt (telnetd's output waits for the pty's). */
  private held: Buffer[] = [];

  private raw(b: Buffer): void {
    if (!b.length || this.ctx.socket.destroyed) return;
    if (this.pending) this.pending.push(b);
    else this.ctx.socket.write(b);
  }

  private text(s: string): void {
    this.raw(encodeData(Buffer.from(s.replace(/\r?\n/g, '\r\n'))));
  }

  start(): void {
    // telnetd asks for the terminal first and waits, with no time limit, for the answers; the host
    // line and login come only once negotiation is over. A bot that never answers options would see
    // nothing more from the real daemon; here it gets the host line and the login prompt after
    // negotiation_timeout_s, so its logins are still recorded (0: wait as telnetd does, until the
    // idle timeout).
    this.raw(this.telnetd.start());
    const wait = this.cfg.negotiation_timeout_s;
    if (wait > 0) {
      this.negotiationTimer = setTimeout(() => {
        if (this.state === 'negotiating' && !this.ctx.socket.destroyed) this.hostLine(false);
      }, wait * 1000);
      this.negotiationTimer.unref();
    }
    this.ctx.socket.on('data', (chunk: Buffer) => {
      try {
        this.onBytes(chunk);
      } catch (err) {
        this.ctx.log.warn({ err }, 'telnet handler failed; closing this connection only');
        this.ctx.close('error');
      }
    });
  }

  private onBytes(chunk: Buffer): void {
    this.pending = [];
    try {
      this.readChunk(chunk);
      if (this.promptAfter) this.text(this.promptAfter);
    } finally {
      const out = this.pending;
      this.pending = undefined;
      this.promptAfter = undefined;
      if (out.length) this.raw(Buffer.concat(out));
      if (this.closeAfter) this.ctx.close(this.closeAfter);
    }
  }

  private flushPending(): void {
    const out = this.pending;
    if (!out?.length) return;
    this.pending = undefined;
    this.raw(Buffer.concat(out));
    this.pending = [];
  }

  /** Closes once the output of the chunk being read is written. */
  private closeWith(reason: 'client' | 'policy'): void {
    this.state = 'closed';
    if (this.pending) this.closeAfter = reason;
    else this.ctx.close(reason);
  }

  private readChunk(chunk: Buffer): void {
    this.flushInput = false;
    for (const ev of this.decoder.feed(chunk)) {
      if (this.state === 'closed') return;
      switch (ev.kind) {
        case 'data':
          if (this.flushInput) this.echoTypeahead(ev.data);
          else this.onData(ev.data);
          break;
        case 'option':
        case 'sub':
          if (ev.kind === 'sub') this.recordSub(ev.option, ev.data);
          if (++this.negotiations > MAX_NEGOTIATIONS) break;
          if (this.state === 'starting') this.held.push(this.telnetd.receive(ev));
          else this.raw(this.telnetd.receive(ev));
          if (ev.kind === 'option' && ev.option === OPT.ECHO) this.onEchoOption(ev.verb);
          if (this.telnetd.loggedOut) {
            this.closeWith('client');
            return;
          }
          break;
        case 'command':
          this.onCommand(ev.code);
          break;
        case 'malformed':
          this.ctx.emitter.emit('protocol.malformed', { reason: ev.reason, sample_hex: hexSample(chunk) });
          break;
      }
    }
    if (this.state === 'negotiating') {
      // telnetd flushes its answers before it sends the next phase's requests: clients that parse
      // segment by segment (hydra stops at the NUL after SB LINEMODE) need the same split.
      this.flushPending();
      this.raw(this.telnetd.settle());
      if (this.telnetd.phase === 'ready') this.hostLine(true);
    }
  }

  /** telnetd turns the pty's echo off when the client says DONT ECHO and on when it says DO ECHO. */
  private onEchoOption(verb: Verb): void {
    if (verb === 'dont') this.ttyEcho = false;
    else if (verb === 'do') this.ttyEcho = true;
  }

  private onCommand(code: number): void {
    if (code === CMD.AYT) this.raw(Buffer.from('\r\n[Yes]\r\n'));
    // IP and BRK reach login as SIGINT and SIGQUIT: it dies, as with ^C and ^\.
    else if (code === CMD.IP) this.onData(Buffer.from([3]));
    else if (code === CMD.BRK) this.onData(Buffer.from([0x1c]));
    else if (code === CMD.EC) this.onData(Buffer.from([0x7f]));
    else if (code === CMD.EL) this.onData(Buffer.from([0x15]));
    // NOP, DM, GA, AO and the rest change nothing a client can see before login.
  }

  /**
   * After negotiation: telnetd's last option settling (when it was SETTLED; not after
   * negotiation_timeout_s), its host line, then login starting on the pty.
   */
  private hostLine(settled: boolean): void {
    this.state = 'starting';
    clearTimeout(this.negotiationTimer);
    if (settled) this.raw(this.telnetd.burst());
    // The host line and login's prompt in one write, outside a chunk's output too (after
    // negotiation_timeout_s): hydra takes the first segment after the options for the whole greeting,
    // and a prompt arriving in a later segment for "login failed" on the pair it sends next.
    const outer = this.pending;
    this.pending ??= [];
    const p = this.deps.shell.profile;
    this.text(`\r\nLinux ${p.kernel.release} (${p.hostname}.${p.domain}) (${PTY})\r\n\r\n`);
    this.echoTypeahead(Buffer.from(this.typeahead));
    this.typeahead = [];
    if (LOGIN_START_MS > 0) {
      this.startTimer = setTimeout(() => this.loginStart(), LOGIN_START_MS);
      this.startTimer.unref();
    } else this.loginStart();
    if (outer === undefined) {
      const out = this.pending;
      this.pending = undefined;
      if (out.length) this.raw(Buffer.concat(out));
    }
  }

  private loginStart(): void {
    if (this.state !== 'starting' || this.ctx.socket.destroyed) return;
    // login resets the terminal: echo on, and whatever was typed before its prompt is gone.
    this.ttyEcho = true;
    this.state = 'login';
    this.raw(Buffer.concat(this.held));
    this.held = [];
    const secs = this.cfg.login_grace_s;
    this.loginTimer = setTimeout(() => {
      if (this.state === 'shell' || this.state === 'closed') return;
      this.text(`\r\nLogin timed out after ${secs} seconds.\r\n`);
      this.ctx.close('login_timeout');
    }, secs * 1000);
    this.loginTimer.unref();
    this.loginPrompt();
  }

  private loginPrompt(): void {
    this.text(`${this.deps.shell.profile.hostname} login: `);
  }

  private recordSub(option: number, data: Buffer): void {
    if (option === OPT.NAWS) {
      const s = decodeNaws(data);
      if (!s) return;
      this.width = s.width;
      this.height = s.height;
      const term = this.telnetd.terminalType;
      this.ctx.emitter.emit('client.size', { width: s.width, height: s.height, ...(term ? { term } : {}) });
      this.shell?.resize(s.width, s.height);
    } else if (option === OPT.NEW_ENVIRON || option === OPT.ENVIRON) {
      // Recorded only: Debian's patched telnetd (deb12u3) passes no client variable to login.
      for (const v of decodeNewEnviron(data) ?? []) {
        if (Object.keys(this.env).length >= 64) break;
        setOwn(this.env, v.name.slice(0, 256), v.value.slice(0, 4096));
        this.ctx.emitter.emit('client.env', { name: v.name.slice(0, 256), value: v.value.slice(0, 4096) });
      }
    }
  }

  /** What the pty echoes of bytes typed when login is not reading: printable as is, line ends as CR LF, controls as ^X. */
  private echoTypeahead(data: Uint8Array): void {
    if (!this.ttyEcho || !data.length) return;
    const out: number[] = [];
    let cr = false;
    for (const b of data) {
      if (b === 10 && cr) {
        cr = false;
        continue;
      }
      cr = b === 13;
      if (b === 13 || b === 10) out.push(13, 10);
      else if (b < 0x20 || b === 0x7f) out.push(0x5e, b === 0x7f ? 0x3f : b + 0x40);
      else out.push(b);
    }
    this.raw(encodeData(Buffer.from(out)));
  }

  private onData(data: Buffer): void {
    if (this.state === 'shell') {
      this.shell?.feed(data);
      return;
    }
    if (this.state === 'closed') return;
    if (this.state === 'negotiating') {
      const room = MAX_TYPEAHEAD_BYTES - this.typeahead.length;
      if (room > 0) this.typeahead.push(...data.subarray(0, room));
      return;
    }
    if (this.state === 'starting' || this.state === 'wait') {
      this.echoTypeahead(data);
      return;
    }
    for (let i = 0; i < data.length; i++) {
      const b = data[i]!;
      if (this.state !== 'login' && this.state !== 'password') return;
      if (b === 10 && this.lastCr) {
        this.lastCr = false;
        continue;
      }
      if (this.flushInput) {
        // The pty has echoed everything that came before login flushed it.
        this.echoTypeahead(data.subarray(i));
        return;
      }
      const echo = this.state === 'login' && this.ttyEcho;
      this.lastCr = b === 13;
      if (b === 13 || b === 10) {
        // In the password state the newline is login's own, written whether or not the pty echoes.
        if (echo || this.state === 'password') this.text('\n');
        this.enterLine();
        continue;
      }
      if (b === 0x7f || b === 8) {
        if (this.line.length) {
          this.line = this.line.slice(0, -1);
          if (echo) this.text('\b \b');
        }
        continue;
      }
      if (b === 0x15) {
        if (echo) this.text('\b \b'.repeat(this.line.length));
        this.line = '';
        continue;
      }
      if (b === 3 || b === 0x1c) {
        // SIGINT/SIGQUIT kill login: telnetd flushes the output (IAC DM) and the pty echoes ^C or ^\.
        this.raw(Buffer.from([IAC, CMD.DM]));
        if (echo) this.text(b === 3 ? '^C' : '^\\');
        this.closeWith('client');
        return;
      }
      if (b === 4) {
        // EOF on an empty line: login reads no name (a failed try with no password asked) or an empty password.
        if (this.line.length) continue;
        this.text('\n');
        if (this.state === 'login') this.loginFailed();
        else this.enterLine();
        continue;
      }
      if (b < 0x20 || this.line.length >= MAX_LOGIN_LINE) continue;
      this.line += String.fromCharCode(b);
      if (echo) this.raw(encodeData(Buffer.from([b])));
    }
  }

  private enterLine(): void {
    const value = Buffer.from(this.line, 'latin1').toString('utf8');
    this.line = '';
    if (this.state === 'login') {
      // An empty name is asked for a password too (login via PAM on Debian 12), and fails.
      this.user = value;
      this.state = 'password';
      this.promptAfter = 'Password: ';
      // Reading the password flushes the terminal's input: what came with the name is lost.
      this.flushInput = true;
      return;
    }
    if (this.state !== 'password') return;
    const user = this.user.slice(0, MAX_CREDENTIAL_CHARS);
    const password = value.slice(0, MAX_CREDENTIAL_CHARS);
    const ok = this.deps.policy.allows(user, password) || this.deps.shell.acceptsChangedPassword(this.ctx.emitter.identity.src_ip, user, password);
    this.ctx.emitter.emit('auth.attempt', { method: 'password', username: user, password, success: ok });
    if (ok) {
      clearTimeout(this.loginTimer);
      this.startShell(user);
      return;
    }
    this.loginFailed();
  }

  /** login's answer to a failed try: a pause, "Login incorrect", and a new prompt or the end. */
  private loginFailed(): void {
    this.state = 'wait';
    this.ttyEcho = true;
    const retry = (): void => {
      if (this.ctx.socket.destroyed || this.state !== 'wait') return;
      this.text('\nLogin incorrect\n');
      if (++this.failures >= this.cfg.max_auth_tries) {
        this.text(`Maximum number of tries exceeded (${this.failures})\n`);
        this.closeWith('policy');
        return;
      }
      this.state = 'login';
      this.loginPrompt();
    };
    const delay = this.cfg.failure_delay_ms > 0 ? pamFailDelay(this.cfg.failure_delay_ms, this.deps.random ?? Math.random) : 0;
    if (delay > 0) setTimeout(retry, delay).unref();
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
      ...(this.telnetd.terminalType ? { term: this.telnetd.terminalType } : {}),
      clientEnv: this.env,
      protocol: 'telnet',
      tty: `/dev/${PTY}`,
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
