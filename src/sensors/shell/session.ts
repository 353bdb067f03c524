// One attacker's shell over SSH or Telnet: the terminal line discipline (echo, backspace, Ctrl-C,
// Ctrl-D, history keys, continuation prompts), exec commands, the capture hooks (downloads and
// written files into quarantine, with events), the recording, and the per-attacker overlay.
import { createHash } from 'node:crypto';
import type { SessionEmitter } from '../../events/emitter.js';
import { AsciicastRecorder } from '../runtime/recording.js';
import type { QuarantineResult } from '../runtime/quarantine.js';
import type { ShellEnvironment } from './environment.js';
import { columns as inColumns } from './commands/ls.js';
import { COMPLETION_QUERY_ITEMS } from './completion.js';
import { parseShell } from './parser.js';
import { Shell, YIELD_EVERY_MS } from './shell.js';
import type { DownloadRequest, DownloadResult, ShellHooks } from './types.js';
import { Vfs, type LoginRecord, type Overlay } from './vfs.js';
import { loginAccount } from './accounts.js';
import { hostLogins, lastLoginLine, latestLogin } from './logins.js';

/** Longest line the terminal accepts (further keystrokes are dropped, as a full readline buffer). */
export const MAX_LINE_CHARS = 16 * 1024;
/** Lines typed ahead while a command runs that are kept for it or for the prompt. */
export const MAX_PENDING_LINES = 256;
/**
 * Lines one command may continue over (at the `> ` prompt). Each new line re-parses the whole
 * command, so one 16 KB packet of `(` and 16,380 newlines took 4.85 s; past it the command is
 * dropped with an error line, as one that is too long.
 */
export const MAX_CONTINUATION_LINES = 256;
/** Characters parsed over all the lines of one continued command; past it, dropped as above. */
export const MAX_CONTINUATION_PARSE_CHARS = 2 * 1024 * 1024;
/**
 * Milliseconds spent parsing one continued command over all its lines; past it, dropped as above.
 * Some shapes cost far more per character than text does: 2 MiB of `a|a|...` took 1.2 s here (from
 * one 8 KB packet of 4,000 pipes and 300 newlines), while a heredoc of 250 lines of 50 characters
 * parses its 1.6 MB in about a quarter of this.
 */
export const MAX_CONTINUATION_PARSE_MS = 250;
/**
 * Input received but not yet read, in characters (a terminal's input queue): a session reads its
 * input in turns of YIELD_EVERY_MS (each line may re-parse a continued command), and what arrives
 * past this while it catches up is dropped, as a full tty queue drops it.
 */
export const MAX_UNREAD_INPUT_CHARS = 256 * 1024;
/** Longest exec command recorded and run. */
export const MAX_EXEC_CHARS = 16 * 1024;
/** Written-file snapshots kept before they are flushed to quarantine early. */
export const MAX_PENDING_CAPTURE_BYTES = 32 * 1024 * 1024;
/**
 * Interactive lines kept in the history, as bash's HISTSIZE (500 by default): the oldest go first,
 * so a bot typing for hours does not grow it without end.
 */
export const MAX_HISTORY_LINES = 500;

export interface SessionIo {
  /** Bytes to the client, line endings already translated. */
  write(data: Buffer): void;
  /** Ends the session with an exit status (the transport closes the channel or socket). */
  close(exitCode: number): void;
}

/** A written file whose store has started, its event not yet recorded. */
interface Written {
  path: string;
  how: string;
  stored: Promise<QuarantineResult>;
}

export interface ShellSessionOptions {
  env: ShellEnvironment;
  emitter: SessionEmitter;
  username: string;
  io: SessionIo;
  /** Whether the client has a terminal (SSH pty, Telnet): echo, prompts and \r\n. */
  pty: boolean;
  width: number;
  height: number;
  term?: string;
  /** Environment the client sent. */
  clientEnv?: Record<string, string>;
  tty?: string;
  /** The protocol name used in the recording title. */
  protocol: string;
  /**
   * A recording shared by every channel of one connection (SSH opens one per exec); its owner closes
   * it. Without one, the session records into its own file when recording is on.
   */
  recorder?: AsciicastRecorder;
  /** False for sessions that are not terminals (SFTP): nothing is recorded. */
  record?: boolean;
}

/** The recording for one connection, made by the first channel that needs it. */
export function connectionRecorder(env: ShellEnvironment, emitter: SessionEmitter, width: number, height: number, title: string, term?: string): AsciicastRecorder | undefined {
  if (!env.recordingDir) return undefined;
  return announced(new AsciicastRecorder({ dir: env.recordingDir, session: emitter.session, width: width || 80, height: height || 24, maxBytes: env.recordingMaxBytes, ...(env.recordingSpace ? { space: env.recordingSpace } : {}), title, ...(term ? { env: { TERM: term } } : {}) }), emitter);
}

/**
 * Records RECORDER on EMITTER as Cowrie's cowrie.log.open and cowrie.log.closed record a TTY log: a
 * session.recording 'open' now, and a 'closed' with its size and length once the file is complete,
 * which the connection's close waits for (so connection.close stays the session's last event).
 */
function announced(recorder: AsciicastRecorder, emitter: SessionEmitter): AsciicastRecorder {
  if (!recorder.recording) return recorder;
  emitter.emit('session.recording', { state: 'open', path: recorder.path, format: 'asciicast' });
  emitter.hold?.(recorder.whenClosed().then((r) => void emitter.emit('session.recording', { state: 'closed', path: recorder.path, format: 'asciicast', size: r.size, duration_ms: r.durationMs })));
  return recorder;
}

export class ShellSession {
  readonly shell: Shell;
  private readonly env: ShellEnvironment;
  private readonly emitter: SessionEmitter;
  private readonly io: SessionIo;
  private readonly src: string;
  private recorder: AsciicastRecorder | undefined;
  private readonly ownsRecorder: boolean;
  private line = '';
  private cont = '';
  /** Lines and parsed characters of the command being continued (see MAX_CONTINUATION_LINES). */
  private contLines = 0;
  private contParsed = 0;
  private contParseMs = 0;
  /** Input received and not yet read (see MAX_UNREAD_INPUT_CHARS), and whether a turn to read it is scheduled. */
  private unread = '';
  private reading = false;
  private histIndex = -1;
  private escape = '';
  /** The line at the last Tab that could not complete further: a second Tab on it lists the matches. */
  private tabbed: string | undefined;
  /** The cursor: a byte offset into the line. */
  private pos = 0;
  /** Matches waiting for the answer to "Display all N possibilities? (y or n)". */
  private askingAll: string[] | undefined;
  private lastWasCr = false;
  private busy = false;
  private ended = false;
  private readonly pending: string[] = [];
  private waiter: { resolve: (l: string | undefined) => void; echo: boolean } | undefined;
  private readonly captures = new Map<string, { data: Buffer; how: string }>();
  private captureBytes = 0;
  /** The latest flush of written files (flushCaptures): the next records its events after it. */
  private flushing: Promise<void> | undefined;
  private readonly loginMs: number;
  private readonly overlay: Overlay;
  /** This session's wtmp record, when it is a terminal login (ended in end()). */
  private login: LoginRecord | undefined;

  constructor(private readonly o: ShellSessionOptions) {
    this.env = o.env;
    this.emitter = o.emitter;
    this.io = o.io;
    this.src = o.emitter.identity.src_ip;
    this.loginMs = Date.now();
    const overlay = (this.overlay = o.env.overlays.acquire(this.src));
    const vfs = new Vfs(o.env.base, overlay, o.env.quota, 0);
    const user = loginAccount(o.env.profile, vfs, o.username, this.loginMs);
    vfs.uid = user.uid;
    const hooks: ShellHooks = {
      fileWritten: (path, data, how) => this.noteWrite(path, data, how),
      download: (req) => this.download(req),
      passwordChanged: (user, password) => o.env.passwordChanged(this.src, user, password),
    };
    this.shell = new Shell({
      profile: o.env.profile,
      vfs,
      hooks,
      commands: o.env.commands,
      user: { name: user.name, uid: user.uid, gid: user.gid, home: user.home },
      users: o.env.profile.users.includes(user) ? o.env.profile.users : [...o.env.profile.users, user],
      terminal: { width: o.width || 80, height: o.height || 24, interactive: o.pty, tty: o.tty ?? '/dev/pts/0', remoteIp: this.src, remotePort: o.emitter.identity.src_port, loginMs: this.loginMs, via: o.protocol },
      readLine: (prompt, echo) => this.readLine(prompt, echo),
      history: user.uid === 0 ? [...o.env.rootHistory] : [],
      env: { ...filterEnv(o.clientEnv ?? {}), ...(o.term ? { TERM: o.term.slice(0, 64) } : {}) },
    });
    this.ownsRecorder = !o.recorder;
    if (o.recorder) this.recorder = o.recorder;
    else if (o.env.recordingDir && o.record !== false) {
      this.recorder = announced(
        new AsciicastRecorder({
          dir: o.env.recordingDir,
          session: o.emitter.session,
          width: o.width || 80,
          height: o.height || 24,
          maxBytes: o.env.recordingMaxBytes,
          ...(o.env.recordingSpace ? { space: o.env.recordingSpace } : {}),
          title: `${o.protocol} ${user.name}@${o.env.profile.hostname} from ${this.src}`,
          ...(o.term ? { env: { TERM: o.term } } : {}),
        }),
        o.emitter,
      );
    }
  }

  /** Output to the client, translated for a terminal and recorded. */
  private send(data: string | Buffer): void {
    if (this.ended) return;
    let buf = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.o.pty) buf = toCrlf(buf);
    this.recorder?.output(buf);
    this.io.write(buf);
  }

  /**
   * Starts an interactive shell: the login banner and the first prompt. A terminal login is recorded
   * (wtmp and lastlog) and greeted with the user's previous one: this attacker's own, or an admin's.
   */
  start(opts: { motd: boolean } = { motd: true }): void {
    if (opts.motd) {
      const p = this.env.profile;
      const motd = this.shell.vfs.readFile('/etc/motd');
      const user = this.shell.user.name;
      const before = latestLogin(user, [...hostLogins(p, this.loginMs), ...this.overlay.logins], this.loginMs);
      this.send(`Linux ${p.hostname} ${p.kernel.release} ${p.kernel.version} x86_64\n${typeof motd === 'string' ? '' : motd.toString()}${before ? lastLoginLine(before, this.o.protocol) : ''}`);
      this.login = this.overlay.noteLogin({ user, tty: this.shell.terminal.tty.replace('/dev/', ''), from: this.src, startMs: this.loginMs });
    }
    this.prompt();
  }

  private prompt(): void {
    if (!this.o.pty) return;
    this.send(this.cont ? '> ' : this.shell.prompt());
  }

  resize(width: number, height: number): void {
    this.shell.terminal.width = width;
    this.shell.terminal.height = height;
    this.recorder?.resize(width, height);
  }

  /** Bytes from the client's keyboard (or a bot's pipe). */
  feed(data: Buffer): void {
    if (this.ended) return;
    this.recorder?.input(data);
    const room = MAX_UNREAD_INPUT_CHARS - this.unread.length;
    if (room <= 0) return;
    this.unread += (data.length > room ? data.subarray(0, room) : data).toString('latin1');
    if (!this.reading) this.readInput();
  }

  /**
   * Reads what is unread, a turn at a time: after a line ends, once YIELD_EVERY_MS have passed, the
   * rest waits for the next turn of the event loop, so one packet of many lines (each re-parsing a
   * continued command) does not hold every other session and sensor in the process.
   */
  private readInput(): void {
    const started = performance.now();
    const text = this.unread;
    let i = 0;
    while (i < text.length && !this.ended) {
      const ch = text[i++]!;
      this.key(ch);
      if ((ch === '\n' || ch === '\r') && performance.now() - started >= YIELD_EVERY_MS) break;
    }
    this.unread = this.ended ? '' : text.slice(i);
    if (this.unread.length === 0) return;
    this.reading = true;
    setImmediate(() => {
      this.reading = false;
      if (!this.ended) this.readInput();
    });
  }

  private echo(s: string | Buffer): void {
    if (this.o.pty && (!this.waiter || this.waiter.echo)) this.send(s);
  }

  /** Echoes typed text, held as one latin1 character per byte (see feed), as the bytes it was. */
  private echoTyped(s: string): void {
    this.echo(Buffer.from(s, 'latin1'));
  }

  private key(ch: string): void {
    if (this.askingAll) {
      this.answerDisplayAll(ch);
      return;
    }
    if (ch !== '\t') this.tabbed = undefined;
    if (this.escape) {
      this.escape += ch;
      if (this.escape.length === 2 && ch !== '[' && ch !== 'O') this.escape = '';
      else if (this.escape.length > 2 && /[A-Za-z~]/.test(ch)) {
        const seq = this.escape;
        this.escape = '';
        if (this.editing()) this.escapeKey(seq);
      } else if (this.escape.length > 8) this.escape = '';
      return;
    }
    const code = ch.charCodeAt(0);
    if (ch === '\n' && this.lastWasCr) {
      this.lastWasCr = false;
      return;
    }
    this.lastWasCr = ch === '\r';
    switch (code) {
      case 0x1b:
        this.escape = ch;
        return;
      case 0x0d:
      case 0x0a:
        this.echo('\n');
        this.enter();
        return;
      case 0x03: // Ctrl-C
        if (this.busy && !this.waiter) {
          this.shell.interrupt();
          this.echo('^C\n');
          return;
        }
        this.echo('^C\n');
        this.line = '';
        this.pos = 0;
        this.cont = '';
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = undefined;
          this.shell.interrupt();
          w.resolve(undefined);
          return;
        }
        this.prompt();
        return;
      case 0x04: // Ctrl-D: the character under the cursor, or the end of input on an empty line
        if (this.line.length > 0) {
          if (this.editing() && this.pos < this.line.length) this.cut(this.pos, nextChar(this.line, this.pos));
          return;
        }
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = undefined;
          w.resolve(undefined);
          return;
        }
        if (this.busy) return;
        {
          // In a shell entered with su or bash, Ctrl-D goes back to the one around it.
          const word = this.shell.exitNested();
          if (word !== undefined) {
            this.send(`${word}\n`);
            this.prompt();
            return;
          }
        }
        if (this.o.pty) this.send('logout\n');
        this.finish(this.shell.lastStatus);
        return;
      case 0x7f:
      case 0x08:
        // A whole character goes, however many bytes of UTF-8 it took.
        if (this.pos > 0) this.cut(prevChar(this.line, this.pos), this.pos);
        return;
      case 0x15: // Ctrl-U: from the start of the line to the cursor
        this.cut(0, this.pos);
        return;
      case 0x0b: // Ctrl-K: from the cursor to the end
        if (this.editing()) this.cut(this.pos, this.line.length);
        return;
      case 0x17: // Ctrl-W: the word before the cursor
        if (this.editing()) {
          let from = this.pos;
          while (from > 0 && /\s/.test(this.line[from - 1]!)) from--;
          while (from > 0 && !/\s/.test(this.line[from - 1]!)) from--;
          this.cut(from, this.pos);
        }
        return;
      case 0x01: // Ctrl-A, Ctrl-E, Ctrl-B, Ctrl-F
      case 0x05:
      case 0x02:
      case 0x06:
        if (this.editing()) this.moveTo(code === 0x01 ? 0 : code === 0x05 ? this.line.length : code === 0x02 ? prevChar(this.line, this.pos) : nextChar(this.line, this.pos));
        return;
      case 0x0c: // Ctrl-L
        if (!this.busy) {
          this.send('\x1b[H\x1b[2J');
          this.prompt();
          this.redrawLine();
        }
        return;
      case 0x09:
        // Readline completes at the prompt; without a terminal, or while a command reads, bash
        // takes the Tab as it is.
        if (this.o.pty && !this.busy && !this.waiter) {
          this.tab();
          return;
        }
        break;
      default:
        if (code < 0x20) return;
    }
    this.insertTyped(ch);
  }

  /** Whether the line is being edited at the prompt (readline's keys work), not typed ahead or read by a command. */
  private editing(): boolean {
    return this.o.pty && !this.busy && !this.waiter;
  }

  /** A complete escape sequence SEQ: arrows, Home, End, Delete. */
  private escapeKey(seq: string): void {
    const last = seq[seq.length - 1];
    if (last === 'A' || last === 'B') this.historyKey(last === 'A' ? -1 : 1);
    else if (last === 'D') this.moveTo(prevChar(this.line, this.pos));
    else if (last === 'C') this.moveTo(nextChar(this.line, this.pos));
    else if (last === 'H' || seq === '\x1b[1~' || seq === '\x1b[7~') this.moveTo(0);
    else if (last === 'F' || seq === '\x1b[4~' || seq === '\x1b[8~') this.moveTo(this.line.length);
    else if (seq === '\x1b[3~' && this.pos < this.line.length) this.cut(this.pos, nextChar(this.line, this.pos));
  }

  /** Inserts typed text T (latin1, a character per byte) at the cursor, redrawing what follows it. */
  private insertTyped(t: string): void {
    if (this.line.length + t.length > MAX_LINE_CHARS) return;
    const rest = this.line.slice(this.pos);
    this.line = this.line.slice(0, this.pos) + t + rest;
    this.pos += t.length;
    this.echoTyped(t + rest + '\b'.repeat(columns(rest)));
  }

  /** Moves the cursor to byte offset TO of the line. */
  private moveTo(to: number): void {
    if (to < this.pos) this.echo('\b'.repeat(columns(this.line.slice(to, this.pos))));
    else if (to > this.pos) this.echoTyped(this.line.slice(this.pos, to));
    this.pos = to;
  }

  /** Removes bytes FROM..TO of the line (FROM <= cursor), leaving the cursor at FROM, as readline redraws it. */
  private cut(from: number, to: number): void {
    if (to <= from) return;
    const gone = columns(this.line.slice(from, to));
    this.moveTo(from);
    this.line = this.line.slice(0, from) + this.line.slice(to);
    this.redrawFrom(gone);
  }

  /** Writes the whole line after a fresh prompt, the cursor where it was. */
  private redrawLine(): void {
    this.echoTyped(this.line + '\b'.repeat(columns(this.line.slice(this.pos))));
  }

  /** Writes the line from the cursor on, blanks CLEAR more columns after it, and puts the cursor back. */
  private redrawFrom(clear: number): void {
    const rest = this.line.slice(this.pos);
    this.echoTyped(rest + ' '.repeat(clear) + '\b'.repeat(columns(rest) + clear));
  }

  /**
   * Tab at the prompt, as readline's complete: the word before it completed as far as it goes
   * (completion.ts), with a bell when several names still match; the next Tab lists them under the
   * line (after asking when there are more than COMPLETION_QUERY_ITEMS), then the prompt and the line
   * again.
   */
  private tab(): void {
    const typed = Buffer.from(this.line.slice(0, this.pos), 'latin1').toString('utf8');
    const c = this.shell.complete(typed);
    const insert = Buffer.from(c.insert).toString('latin1');
    if (insert && this.line.length + insert.length <= MAX_LINE_CHARS) {
      this.insertTyped(insert);
      // Ambiguous: as far as the matches agree, then the bell; the next Tab lists them.
      if (c.matches.length > 1) {
        this.tabbed = this.line;
        this.echo('\x07');
      }
      return;
    }
    if (c.matches.length < 2 || this.tabbed !== this.line) {
      this.tabbed = this.line;
      this.echo('\x07');
      return;
    }
    this.tabbed = undefined;
    if (c.matches.length > COMPLETION_QUERY_ITEMS) {
      this.askingAll = c.matches;
      this.send(`\nDisplay all ${c.matches.length} possibilities? (y or n)`);
      return;
    }
    this.listMatches(c.matches);
  }

  private answerDisplayAll(ch: string): void {
    const matches = this.askingAll!;
    if (ch === 'y' || ch === 'Y' || ch === ' ') {
      this.askingAll = undefined;
      this.listMatches(matches);
    } else if (ch === 'n' || ch === 'N' || ch === '\x7f' || ch === '\x03' || ch === '\x07') {
      this.askingAll = undefined;
      this.send('\n');
      this.prompt();
      this.redrawLine();
    } else this.echo('\x07');
  }

  private listMatches(matches: string[]): void {
    this.send(`\n${inColumns(matches, this.shell.terminal.width)}`);
    this.prompt();
    this.redrawLine();
  }

  private historyKey(dir: -1 | 1): void {
    const h = this.shell.history;
    if (h.length === 0) return;
    this.histIndex = this.histIndex < 0 ? (dir < 0 ? h.length - 1 : -1) : this.histIndex + dir;
    if (this.histIndex >= h.length) this.histIndex = -1;
    if (this.histIndex < -1) this.histIndex = 0;
    const next = this.histIndex < 0 ? '' : (h[this.histIndex] ?? '');
    const was = columns(this.line);
    this.moveTo(0);
    this.line = Buffer.from(next).toString('latin1').slice(0, MAX_LINE_CHARS);
    const now = columns(this.line);
    this.echoTyped(this.line + ' '.repeat(Math.max(0, was - now)) + '\b'.repeat(Math.max(0, was - now)));
    this.pos = this.line.length;
  }

  private enter(): void {
    // latin1 was used to split keys; turn the typed bytes back into UTF-8 text.
    const typed = Buffer.from(this.line, 'latin1').toString('utf8');
    this.line = '';
    this.pos = 0;
    this.histIndex = -1;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(typed);
      return;
    }
    if (this.busy) {
      if (this.pending.length < MAX_PENDING_LINES) this.pending.push(typed);
      return;
    }
    void this.runInteractive(typed);
  }

  private async runInteractive(typed: string): Promise<void> {
    const text = this.cont ? `${this.cont}\n${typed}` : typed;
    if (!this.cont) this.contLines = this.contParsed = this.contParseMs = 0;
    this.contLines++;
    this.contParsed += text.length;
    if (text.length > MAX_LINE_CHARS * 4 || this.contLines > MAX_CONTINUATION_LINES || this.contParsed > MAX_CONTINUATION_PARSE_CHARS || this.contParseMs > MAX_CONTINUATION_PARSE_MS) {
      this.cont = '';
      this.send('-bash: input too long\n');
      this.prompt();
      return;
    }
    const parseStarted = performance.now();
    const parsed = parseShell(text);
    this.contParseMs += performance.now() - parseStarted;
    if (parsed.status === 'incomplete') {
      this.cont = text;
      this.prompt();
      return;
    }
    this.cont = '';
    if (text.trim() === '') {
      this.prompt();
      return;
    }
    const known = parsed.status === 'ok' ? this.shell.commandNames(parsed.list).known : false;
    this.emitter.emit('command.input', { input: text, known });
    if (!/^\s/.test(text)) remember(this.shell.history, text);
    this.busy = true;
    try {
      await this.shell.runLine(text, { out: (d) => this.send(d), err: (d) => this.send(d) });
    } catch {
      this.send('Segmentation fault\n');
    }
    this.busy = false;
    if (this.shell.exitCode !== undefined) {
      if (this.o.pty) this.send('logout\n');
      this.finish(this.shell.exitCode);
      return;
    }
    const next = this.pending.shift();
    if (next !== undefined) {
      this.prompt();
      if (this.o.pty) this.send(`${next}\n`);
      void this.runInteractive(next);
      return;
    }
    this.prompt();
  }

  private readLine(prompt: string, echo: boolean): Promise<string | undefined> {
    if (this.ended) return Promise.resolve(undefined);
    if (prompt) this.send(prompt);
    const queued = this.pending.shift();
    if (queued !== undefined) {
      if (!echo && this.o.pty) this.send('\n');
      return Promise.resolve(queued);
    }
    return new Promise((resolve) => {
      this.waiter = {
        echo,
        resolve: (l) => {
          if (!echo && this.o.pty) this.send('\n');
          resolve(l);
        },
      };
    });
  }

  /** Runs an exec request's command with STDIN; resolves with its exit status. */
  async exec(command: string, stdin: Buffer): Promise<number> {
    const cmd = command.length > MAX_EXEC_CHARS ? command.slice(0, MAX_EXEC_CHARS) : command;
    const parsed = parseShell(cmd);
    const known = parsed.status === 'ok' ? this.shell.commandNames(parsed.list).known : false;
    this.emitter.emit('command.input', { input: cmd, known });
    this.recorder?.input(`${cmd}\n`);
    this.shell.terminal.command = cmd;
    this.busy = true;
    try {
      await this.shell.runLine(cmd, { out: (d) => this.send(d), err: (d) => this.send(d), stdin });
    } catch {
      this.send('Segmentation fault\n');
    }
    this.busy = false;
    if (parsed.status === 'incomplete') {
      this.send('bash: -c: line 1: syntax error: unexpected end of file\n');
      return 2;
    }
    return this.shell.exitCode ?? this.shell.lastStatus;
  }

  private finish(code: number): void {
    if (this.ended) return;
    this.ended = true;
    this.io.close(code);
  }

  /** Called once when the transport ends: saves the attacker's files and closes the recording. */
  async end(): Promise<void> {
    this.ended = true;
    this.shell.interrupt();
    if (this.waiter) {
      this.waiter.resolve(undefined);
      this.waiter = undefined;
    }
    const flushed = this.flushCaptures();
    if (this.login) {
      this.login.endMs = Date.now();
      this.overlay.dirty = true;
    }
    this.env.overlays.release(this.src);
    if (this.ownsRecorder) await this.recorder?.close();
    this.recorder = undefined;
    await flushed;
  }

  private noteWrite(path: string, data: Buffer, how: string): void {
    const prev = this.captures.get(path);
    this.captureBytes += data.length - (prev?.data.length ?? 0);
    this.captures.set(path, { data, how });
    if (this.captureBytes > MAX_PENDING_CAPTURE_BYTES) void this.flushCaptures();
  }

  /**
   * Quarantines the final content of every file the attacker wrote so far (once per path and
   * content); each is recorded as `file.download` once stored, after those of any flush before. The
   * stores start at once: the snapshots are then held by the quarantine alone, within its bound on
   * stores in progress, however long an earlier flush waits for the disk (a flush that waited with
   * its batch let a loop of writes and removals keep every snapshot meanwhile).
   */
  private flushCaptures(): Promise<void> {
    const batch: Written[] = [];
    for (const [path, c] of this.captures) {
      if (c.data.length === 0) continue;
      const stored = this.env.quarantine.store(c.data, this.src);
      // store() never rejects; were it to, recordWrites reports it, and it must not count as unhandled meanwhile.
      stored.catch(() => undefined);
      batch.push({ path, how: c.how, stored });
    }
    this.captures.clear();
    this.captureBytes = 0;
    const record = (): Promise<void> => this.recordWrites(batch);
    const p = (this.flushing ?? Promise.resolve()).then(record, record);
    // The connection's close waits for these events.
    this.emitter.hold?.(p);
    this.flushing = p;
    const done = (): void => {
      if (this.flushing === p) this.flushing = undefined;
    };
    p.then(done, done);
    return p;
  }

  private async recordWrites(batch: readonly Written[]): Promise<void> {
    for (const { path, how: written, stored } of batch) {
      const q = await stored;
      this.emitter.emit('file.download', {
        sha256: q.sha256,
        md5: q.md5,
        size: q.size,
        path,
        outcome: !q.stored ? 'failed' : q.truncated ? 'truncated' : q.duplicate ? 'duplicate' : 'stored',
        reason: q.reason ?? how(written),
      });
    }
  }

  /** Fetches and keeps what a wget/curl asks for, recorded as file.download; the connection's close waits for it. */
  private download(req: DownloadRequest): Promise<DownloadResult> {
    const work = this.fetchAndKeep(req);
    this.emitter.hold?.(work);
    return work;
  }

  private async fetchAndKeep(req: DownloadRequest): Promise<DownloadResult> {
    const r = await this.env.fetcher.fetch(req.url, this.src);
    const base = { url: req.url.slice(0, 2048), ...(req.path ? { path: req.path } : {}) };
    if (!r.ok) {
      const outcome = r.error === 'disabled' ? 'disabled' : r.error === 'refused' || r.error === 'rate' ? 'refused' : 'failed';
      this.emitter.emit('file.download', { ...base, outcome, reason: `${req.tool}: ${r.detail}`.slice(0, 300) });
      return { ok: false, error: r.error === 'bad_url' ? 'bad_url' : r.error, ...(r.status !== undefined ? { status: r.status } : {}), detail: r.detail };
    }
    const q = await this.env.quarantine.store(r.data, this.src);
    this.emitter.emit('file.download', {
      ...base,
      sha256: q.sha256,
      md5: q.md5,
      size: q.size,
      outcome: r.truncated || q.truncated ? 'truncated' : !q.stored ? 'failed' : q.duplicate ? 'duplicate' : 'stored',
      reason: r.truncated ? `${req.tool}: cut at ${r.data.length} bytes (fetch.max_bytes)` : q.reason ? `quarantine: ${q.reason}` : `${req.tool}`,
    });
    return { ok: true, data: r.data, truncated: r.truncated, status: r.status, ...(r.contentType ? { contentType: r.contentType } : {}) };
  }
}

/** Adds LINE to HISTORY, dropping the oldest lines past MAX_HISTORY_LINES. */
export function remember(history: string[], line: string): void {
  history.push(line);
  if (history.length > MAX_HISTORY_LINES) history.splice(0, history.length - MAX_HISTORY_LINES);
}

function how(h: string): string {
  return `written by ${h}`;
}

/** The client's variables the shell takes (as sshd's AcceptEnv LANG LC_*), plus TERM. */
function filterEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (/^(LANG|LC_[A-Z]+|TERM)$/.test(k)) out[k] = v.slice(0, 256);
  return out;
}

/** "\n" -> "\r\n" for a terminal (leaving existing "\r\n" alone). */
export function toCrlf(buf: Buffer): Buffer {
  let n = 0;
  for (let i = 0; i < buf.length; i++) if (buf[i] === 0x0a && (i === 0 || buf[i - 1] !== 0x0d)) n++;
  if (n === 0) return buf;
  const out = Buffer.allocUnsafe(buf.length + n);
  let j = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0a && (i === 0 || buf[i - 1] !== 0x0d)) out[j++] = 0x0d;
    out[j++] = buf[i]!;
  }
  return out;
}

export const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Columns that S (UTF-8 held as one latin1 character per byte) takes: one per character. */
function columns(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if ((s.charCodeAt(i) & 0xc0) !== 0x80) n++;
  return n;
}

/** The byte offset of the character before offset AT of LINE (UTF-8 held as latin1). */
function prevChar(line: string, at: number): number {
  let i = Math.max(0, at - 1);
  while (i > 0 && (line.charCodeAt(i) & 0xc0) === 0x80) i--;
  return i;
}

/** The byte offset of the character after the one at offset AT of LINE. */
function nextChar(line: string, at: number): number {
  let i = Math.min(line.length, at + 1);
  while (i < line.length && (line.charCodeAt(i) & 0xc0) === 0x80) i++;
  return i;
}
