// The interpreter: runs parsed command lines against the fake system. Expansion (variables, command
// substitution, arithmetic, globs, ~), pipelines (buffered, stage by stage), redirections into the
// virtual filesystem, control flow, functions and scripts. Every loop and buffer is capped; nothing
// here runs anything on the host.
import { posix } from 'node:path';
import { performance } from 'node:perf_hooks';
import { passwdAccounts } from './accounts.js';
import { evalArith } from './arith.js';
import { complete, type Completion } from './completion.js';
import { loginPids, procProcesses } from './commands/processes.js';
import type { ProcProcess } from './proc-pids.js';
import { findProgram, mergeRanges } from './commands/util.js';
import { elfMachine } from './elf.js';
import { parseShell, RESERVED_WORDS, wordLiteral, type AndOr, type Command, type List, type Pipeline, type Redir, type SimpleCommand, type Word } from './parser.js';
import type { FakeUser, SystemProfile } from './profile.js';
import type { CommandContext, CommandDef, Output, ReadLine, ShellApi, ShellHooks } from './types.js';
import { BoundedStringMap } from './variables.js';
import { FS_ERROR_TEXT, type Vfs } from './vfs.js';
import { WorkMeter } from './work-meter.js';
import { defaultLimits, ulimitBuiltin, type Limit } from './ulimit.js';
import { trimTrailing } from '../../wire/text.js';

/** Commands run for one input line (loop iterations included) before the line is cut off. */
export const MAX_STEPS_PER_LINE = 20_000;
/** Bytes kept from one pipeline stage or command substitution. */
export const MAX_CAPTURE_BYTES = 4 * 1024 * 1024;
/** Bytes written to the terminal for one line. */
export const MAX_TERMINAL_BYTES = 2 * 1024 * 1024;
/** Nested scripts, functions, `sh -c` and `eval` calls. */
export const MAX_CALL_DEPTH = 16;
/** Words after expansion of one command (globs can multiply them). */
export const MAX_WORDS = 4096;
/** Scripts longer than this are not run. */
export const MAX_SCRIPT_CHARS = 64 * 1024;
/** Longest single `sleep`, so a session cannot be held forever by one command. */
export const MAX_SLEEP_MS = 30_000;
/**
 * Characters one word may expand to (and so the longest variable value). `a=$a$a` in a loop doubles a
 * value each pass; bash would go on until malloc fails, and here that was the whole process running
 * out of heap. Past this the expansion is cut, silently.
 */
export const MAX_WORD_CHARS = 1024 * 1024;
/**
 * Characters all the words of one command may expand to. Past it the command is not run and fails as
 * an exec with E2BIG does ("Argument list too long"; Linux allows 2 MiB), so `echo $a $a $a ...` with
 * a long $a cannot build gigabytes of arguments.
 */
export const MAX_COMMAND_CHARS = 4 * 1024 * 1024;
/**
 * Characters in all of a session's variables, names and values together. An assignment past it
 * fails with bash's out-of-memory message (status 1) and the variable keeps its old value.
 */
export const MAX_VARIABLES_CHARS = 8 * 1024 * 1024;
/** Variables one session may hold (an assignment of a new one past it fails as above). */
export const MAX_VARIABLES = 10_000;
/**
 * Functions one session may define (each body a parsed script of up to a line or an eval's text);
 * a new one past it fails like an assignment past MAX_VARIABLES.
 */
export const MAX_FUNCTIONS = 1_000;
/**
 * Milliseconds of work one line may do (time waiting for a sleep, a download or the terminal not
 * counted). MAX_STEPS_PER_LINE bounds commands, not time: 20,000 steps of `seq | sort` ran for
 * minutes. Past it the line is stopped as a killed job: "Killed", status 137.
 */
export const MAX_LINE_WORK_MS = 500;
/** Shells one session may have entered inside one another (su, sudo -i, an interactive bash). */
export const MAX_NESTED_SHELLS = 16;
/** The variables a shell entered as another user sets anew, and its exit puts back. */
const LEVEL_VARS = ['HOME', 'USER', 'LOGNAME', 'MAIL', 'PATH', 'SHLVL', 'PWD', 'OLDPWD'] as const;
const ROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const USER_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games';
/** Longest stretch of work before a line lets the event loop run (other sessions, timers, I/O). */
export const YIELD_EVERY_MS = 20;
/** The status of a line stopped by MAX_LINE_WORK_MS (128 + SIGKILL). */
export const KILLED_STATUS = 137;

class Flow {
  constructor(
    readonly kind: 'break' | 'continue' | 'return' | 'exit' | 'abort' | 'deadline',
    readonly n: number,
  ) {}
}

interface Frame {
  args: string[];
  name: string;
  depth: number;
}

interface Io {
  stdin: Buffer;
  stdinIsTerminal: boolean;
  out: Output;
  err: Output;
}

/** Collects output up to a cap. */
class Capture {
  chunks: Buffer[] = [];
  size = 0;
  write = (d: string | Buffer): void => {
    const b = typeof d === 'string' ? Buffer.from(d) : d;
    const room = MAX_CAPTURE_BYTES - this.size;
    if (room <= 0) return;
    const part = b.length > room ? b.subarray(0, room) : b;
    this.chunks.push(part);
    this.size += part.length;
  };
  buffer(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
  }
}

export interface ShellOptions {
  profile: SystemProfile;
  vfs: Vfs;
  hooks: ShellHooks;
  commands: ReadonlyMap<string, CommandDef>;
  user: { name: string; uid: number; gid: number; home: string };
  /** The accounts names resolve against: the host's, and the login's own if it has one (accounts.ts); the host's when unset. */
  users?: readonly FakeUser[];
  terminal: ShellApi['terminal'];
  readLine: ReadLine;
  history?: string[];
  now?: () => number;
  /** Milliseconds from a monotonic clock, for MAX_LINE_WORK_MS (injected for tests). */
  workClock?: () => number;
  /** Extra environment (from the SSH client's env requests) merged over the defaults. */
  env?: Record<string, string>;
}

export interface LineResult {
  status: 'ok' | 'incomplete' | 'malformed';
  exitCode: number;
}

export class Shell implements ShellApi {
  readonly profile: SystemProfile;
  readonly vfs: Vfs;
  readonly hooks: ShellHooks;
  readonly env = new BoundedStringMap({ entries: MAX_VARIABLES, chars: MAX_VARIABLES_CHARS, value: MAX_WORD_CHARS });
  /** Names with the export attribute (values unused), bounded as the variables are. */
  readonly exported = new BoundedStringMap({ entries: MAX_VARIABLES, chars: MAX_VARIABLES_CHARS, value: 0 });
  readonly history: string[];
  readonly aliases = new BoundedStringMap({ entries: MAX_VARIABLES, chars: MAX_VARIABLES_CHARS, value: MAX_WORD_CHARS });
  readonly functions = new Map<string, Command>();
  /** Resource limits (ulimit), as a fresh login has them until changed. */
  readonly limits: Map<string, Limit>;
  readonly jobs: ShellApi['jobs'] = [];
  cwd: string;
  user: ShellApi['user'];
  /** The host's accounts and this login's (ShellOptions.users). */
  private readonly baseUsers: readonly FakeUser[];
  private usersSeen: { from: readonly FakeUser[]; all: readonly FakeUser[] } | undefined;
  /** Shells entered inside this one (enterShell), innermost last: who and where each exit returns to. */
  private readonly outer: { user: ShellApi['user']; cwd: string; vars: (readonly [string, string | undefined])[]; login: boolean }[] = [];
  /** The current line's writer to the attacker's terminal (a pty session's), for CommandContext.stdoutIsTerminal. */
  private terminalOut: Output | undefined;
  terminal: ShellApi['terminal'];
  lastStatus = 0;
  exitCode: number | undefined;
  private steps = 0;
  /** Scripts running now, one inside another (sh -c, eval, source, script files). */
  private scripts = 0;
  private written = 0;
  /** $$ and $PPID: the shell's pid in ps and the login process above it. */
  private readonly shellPid: number;
  private readonly loginPid: number;
  /** The last pid handed out (background jobs); new ones count up from the shell's. */
  private pid: number;
  private lastBgPid = 0;
  /** The emulated command running now (its pid and argv), for ps and /proc/self. */
  running: { pid: number; name: string; argv: readonly string[] } | undefined;
  private aborted = false;
  /** The line ran past MAX_LINE_WORK_MS. */
  private killed = false;
  private readonly meter: WorkMeter;
  private wake: (() => void) | undefined;
  /** The `timeout`s running now, innermost last: when each runs out (monotonic milliseconds), and whether a sleep reached it. */
  private readonly deadlines: { at: number; expired: boolean }[] = [];
  private readonly commands: ReadonlyMap<string, CommandDef>;
  private readonly readLineFn: ReadLine;
  private readonly clock: () => number;

  constructor(o: ShellOptions) {
    this.profile = o.profile;
    this.limits = defaultLimits(o.profile.memKb);
    this.vfs = o.vfs;
    // A download is a wait, not work: the line's work meter stops while it runs.
    const download = o.hooks.download;
    this.hooks = download ? { ...o.hooks, download: (req) => this.meter.wait(() => download(req)) } : o.hooks;
    this.commands = o.commands;
    this.user = o.user;
    this.baseUsers = o.users ?? o.profile.users;
    this.terminal = o.terminal;
    this.readLineFn = o.readLine;
    this.history = o.history ?? [];
    this.clock = o.now ?? Date.now;
    this.meter = new WorkMeter(o.workClock ?? (() => performance.now()));
    this.cwd = o.user.home;
    ({ loginPid: this.loginPid, shellPid: this.shellPid } = loginPids(o.profile, o.terminal.loginMs));
    this.pid = this.shellPid + 31;
    this.vfs.proc = {
      lastPid: () => this.pid,
      selfPid: () => this.running?.pid ?? this.shellPid,
      processes: () => this.procProcesses(),
      machine: { cores: o.profile.cpu.cores, memKb: o.profile.memKb, bootMs: o.profile.bootMs },
      mounts: () => {
        const m = this.vfs.readFile('/proc/mounts');
        return typeof m === 'string' ? '' : m.toString('utf8');
      },
    };
    const ssh = (o.terminal.via ?? 'ssh') === 'ssh';
    const sshd = o.profile.daemons.find((d) => d.kind === 'sshd');
    const sshClient = `${o.terminal.remoteIp} ${o.terminal.remotePort ?? 0}`;
    const sshPort = sshd?.sockets[0]?.port ?? 22;
    const defaults: Record<string, string> = {
      SHELL: '/bin/bash',
      PWD: this.cwd,
      LOGNAME: o.user.name,
      HOME: o.user.home,
      LANG: 'C.UTF-8',
      // sshd sets TERM and SSH_TTY only with a pty, and a telnet login has no SSH_* at all.
      ...(o.terminal.interactive ? { TERM: 'xterm-256color' } : {}),
      USER: o.user.name,
      SHLVL: '1',
      PATH: o.user.uid === 0 ? ROOT_PATH : USER_PATH,
      MAIL: `/var/mail/${o.user.name}`,
      ...(ssh ? { SSH_CLIENT: `${sshClient} ${sshPort}`, SSH_CONNECTION: `${sshClient} ${o.profile.net.ipv4} ${sshPort}` } : {}),
      ...(ssh && o.terminal.interactive ? { SSH_TTY: o.terminal.tty } : {}),
      _: '/usr/bin/env',
      ...(o.env ?? {}),
    };
    for (const [k, v] of Object.entries(defaults)) {
      this.env.set(k, v);
      this.exported.set(k, '');
    }
    this.env.set('PS1', '\\u@\\h:\\w\\$ ');
    this.env.set('IFS', ' \t\n');
    this.aliases.set('ls', 'ls --color=auto');
  }

  /** The accounts names resolve against: the host's and this login's, then any added to /etc/passwd since (useradd). */
  get users(): readonly FakeUser[] {
    const inFile = passwdAccounts(this.vfs);
    if (this.usersSeen?.from !== inFile) {
      const known = new Set(this.baseUsers.map((u) => u.name));
      this.usersSeen = { from: inFile, all: [...this.baseUsers, ...inFile.filter((u) => !known.has(u.name))] };
    }
    return this.usersSeen.all;
  }

  now(): number {
    return this.clock();
  }

  /** /proc's processes, made once per command run (a glob over every /proc/PID/cmdline looks them up many times). */
  private procCache: { key: string; list: readonly ProcProcess[] } | undefined;
  private procProcesses(): readonly ProcProcess[] {
    const key = `${this.running?.pid ?? 0}:${this.jobs.length}:${this.jobs[this.jobs.length - 1]?.pid ?? 0}:${this.cwd}:${this.user.uid}`;
    if (this.procCache?.key === key) return this.procCache.list;
    const environ = [...this.exported.keys()].filter((k) => this.env.has(k)).map((k) => `${k}=${this.env.get(k)}`);
    const list = procProcesses(this, environ);
    this.procCache = { key, list };
    return list;
  }

  get interrupted(): boolean {
    return this.aborted;
  }

  /** Ctrl-C: stops the running line at the next command boundary and wakes a sleep. */
  interrupt(): void {
    this.aborted = true;
    this.wake?.();
  }

  /**
   * Sets a variable for an assignment. Past MAX_VARIABLES_CHARS or MAX_VARIABLES it fails with the
   * message bash gives when malloc fails (bash would then die; the session goes on) and returns false.
   */
  setVar(name: string, value: string, err: Output): boolean {
    return setBounded(this.env, name, value, err);
  }

  requestExit(code: number): void {
    this.exitCode = code;
  }

  /**
   * Enters a shell inside this one, as `su USER`, `sudo -i` or an interactive `bash` do: as USER
   * (this user when unset), in its home for a login shell; `exit` or Ctrl-D comes back (exitNested).
   * False past MAX_NESTED_SHELLS.
   */
  enterShell(o: { user?: ShellApi['user']; login: boolean }): boolean {
    if (this.outer.length >= MAX_NESTED_SHELLS) return false;
    const vars = LEVEL_VARS.map((k) => [k, this.env.get(k)] as const);
    this.outer.push({ user: this.user, cwd: this.cwd, vars, login: o.login });
    const u = o.user ?? this.user;
    this.setUser(u);
    if (o.user && o.user.uid !== this.outer[this.outer.length - 1]!.user.uid) {
      this.env.set('HOME', u.home);
      this.env.set('USER', u.name);
      this.env.set('LOGNAME', u.name);
      this.env.set('MAIL', `/var/mail/${u.name}`);
      this.env.set('PATH', u.uid === 0 ? ROOT_PATH : USER_PATH);
    }
    if (o.login) {
      this.env.set('OLDPWD', this.cwd);
      this.cwd = this.vfs.isDir(u.home) ? u.home : '/';
      this.env.set('PWD', this.cwd);
      this.env.set('SHLVL', '1');
    } else this.env.set('SHLVL', String((Number(this.env.get('SHLVL')) || 0) + 1));
    return true;
  }

  /** Leaves the innermost shell entered with enterShell: what bash prints as it goes ('exit', or 'logout' for a login shell), or undefined at the outermost one. */
  exitNested(): string | undefined {
    const level = this.outer.pop();
    if (!level) return undefined;
    this.setUser(level.user);
    this.cwd = level.cwd;
    for (const [k, v] of level.vars) {
      if (v === undefined) this.env.delete(k);
      else this.env.set(k, v);
    }
    return level.login ? 'logout' : 'exit';
  }

  /** Runs FN as USER (sudo CMD, su -c), this user again after. */
  async runAs<T>(user: ShellApi['user'], fn: () => Promise<T>): Promise<T> {
    const was = this.user;
    this.setUser(user);
    try {
      return await fn();
    } finally {
      this.setUser(was);
    }
  }

  private setUser(u: ShellApi['user']): void {
    this.user = u;
    this.vfs.uid = u.uid;
  }

  nextPid(): number {
    this.pid += 1 + (this.pid % 7);
    return this.pid;
  }

  /**
   * What a shell diagnostic starts with: "-bash" at the login prompt, "bash: line 1" for an exec
   * request (bash -c). Inside scripts and functions the prefix stays "-bash" for now.
   */
  diagPrefix(depth: number): string {
    return !this.terminal.interactive && depth === 0 ? 'bash: line 1' : '-bash';
  }

  isKnownCommand(name: string): boolean {
    return this.commands.has(name) || this.functions.has(name) || BUILTIN_NAMES.has(name);
  }

  async sleep(ms: number): Promise<void> {
    if (this.aborted) return;
    const nearest = this.nearestDeadline();
    const left = nearest ? this.deadlineLeft() : Infinity;
    await this.meter.wait(() => this.sleepUntilWoken(Math.min(ms, left)));
    // A timer may fire a little before the clock reads the deadline: the sleep reached it all the same.
    if (nearest && left <= ms && !this.aborted) nearest.expired = true;
  }

  /** The `timeout` that runs out first, if any. */
  private nearestDeadline(): { at: number; expired: boolean } | undefined {
    let best: { at: number; expired: boolean } | undefined;
    for (const d of this.deadlines) if (!best || d.expired || (!best.expired && d.at < best.at)) best = d;
    return best;
  }

  /** Milliseconds until the nearest `timeout` runs out (Infinity without one). */
  private deadlineLeft(): number {
    const d = this.nearestDeadline();
    if (!d) return Infinity;
    return d.expired ? 0 : Math.max(0, d.at - performance.now());
  }

  async withDeadline(ms: number, fn: () => Promise<number>): Promise<{ status: number; timedOut: boolean }> {
    const d = { at: performance.now() + ms, expired: false };
    this.deadlines.push(d);
    const over = (): boolean => d.expired || performance.now() >= d.at;
    try {
      const status = await fn();
      return { status, timedOut: over() };
    } catch (e) {
      if (e instanceof Flow && e.kind === 'deadline' && over()) return { status: 124, timedOut: true };
      throw e;
    } finally {
      this.deadlines.splice(this.deadlines.indexOf(d), 1);
    }
  }

  private sleepUntilWoken(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.min(ms, MAX_SLEEP_MS));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  resolve(p: string): string {
    let path = p;
    if (path === '~' || path.startsWith('~/')) path = this.user.home + path.slice(1);
    return this.vfs.resolve(this.cwd, path);
  }

  /** The prompt as bash with Debian's default PS1 shows it. */
  prompt(): string {
    const home = this.user.home;
    const w = this.cwd === home ? '~' : this.cwd.startsWith(`${home}/`) ? `~${this.cwd.slice(home.length)}` : this.cwd;
    return `${this.user.name}@${this.profile.hostname}:${w}${this.user.uid === 0 ? '#' : '$'} `;
  }

  /** Defines function NAME (false, nothing kept, for a new one past MAX_FUNCTIONS). */
  private defineFunction(name: string, body: Command): boolean {
    if (!this.functions.has(name) && this.functions.size >= MAX_FUNCTIONS) return false;
    this.functions.set(name, body);
    return true;
  }

  /** Tab completion of the last word of LINE, from what this session sees (see completion.ts). */
  complete(line: string): Completion {
    const readable = (n: { mode: number; uid: number }): boolean => this.user.uid === 0 || (n.uid === this.user.uid ? (n.mode & 0o400) !== 0 : (n.mode & 0o004) !== 0);
    return complete(line, {
      cwd: this.cwd,
      home: this.user.home,
      list: (path) => {
        const s = this.vfs.stat(path);
        if (typeof s === 'string' || s.node.kind !== 'dir' || !readable(s.node)) return undefined;
        const names = this.vfs.list(s.path);
        return typeof names === 'string' ? undefined : names;
      },
      kind: (path) => {
        const s = this.vfs.stat(path);
        if (typeof s === 'string') return undefined;
        return s.node.kind === 'dir' ? 'dir' : (s.node.mode & 0o111) !== 0 ? 'exec' : 'file';
      },
      commandWords: () => [...BUILTIN_NAMES, ...RESERVED_WORDS, ...this.aliases.keys(), ...this.functions.keys()],
      path: () => this.env.get('PATH') ?? '',
      variables: () => this.env.keys(),
    });
  }

  /** Which command names LINE would run, and whether all are emulated (for command.input `known`). */
  commandNames(list: List): { names: string[]; known: boolean } {
    const names: string[] = [];
    let known = true;
    const seen = (c: Command): void => {
      switch (c.kind) {
        case 'simple': {
          const w = c.words[0];
          if (!w) return;
          const lit = wordLiteral(w);
          if (lit === undefined) return;
          names.push(lit);
          const base = lit.includes('/') ? undefined : lit;
          const aliased = base ? this.aliases.get(base)?.split(' ')[0] : undefined;
          if (base && !this.isKnownCommand(aliased ?? base)) known = false;
          if (!base) {
            const s = this.vfs.stat(this.resolve(lit));
            if (typeof s === 'string') known = false;
          }
          for (const w2 of c.words) for (const p of w2.parts) if (p.t === 'sub') walk(p.list);
          return;
        }
        case 'if':
          c.branches.forEach((b) => (walk(b.cond), walk(b.body)));
          if (c.orelse) walk(c.orelse);
          return;
        case 'for':
          walk(c.body);
          return;
        case 'case':
          c.arms.forEach((a) => walk(a.body));
          return;
        case 'while':
          walk(c.cond);
          walk(c.body);
          return;
        case 'group':
          walk(c.body);
          return;
        case 'function':
          this.defineFunction(c.name, c.body);
          seen(c.body);
          return;
      }
    };
    const walk = (l: List): void => {
      for (const it of l.items) {
        for (const p of [it.cmd.first, ...it.cmd.rest.map((r) => r.p)]) for (const c of p.cmds) seen(c);
      }
    };
    walk(list);
    return { names, known };
  }

  /** Runs one line typed (or sent by exec) at top level. */
  async runLine(line: string, io: { out: Output; err: Output; stdin?: Buffer }): Promise<LineResult> {
    this.aborted = false;
    this.killed = false;
    this.steps = 0;
    this.written = 0;
    this.meter.start();
    const parsed = parseShell(line);
    if (parsed.status === 'incomplete') return { status: 'incomplete', exitCode: this.lastStatus };
    const out = this.capTerminal(io.out);
    const err = this.capTerminal(io.err);
    if (parsed.status === 'malformed') {
      err(`${this.terminal.interactive ? '-bash' : 'bash: line 1'}: ${parsed.reason}\n`);
      this.lastStatus = 2;
      return { status: 'malformed', exitCode: 2 };
    }
    // bash -c (an exec request) has $0 "bash"; only the login shell is "-bash".
    const frame: Frame = { args: [], name: this.terminal.interactive ? '-bash' : 'bash', depth: 0 };
    // Output reaches a terminal only in a session with a pty, and only while nothing took it (a pipe, a redirect, $(...)).
    this.terminalOut = this.terminal.interactive ? out : undefined;
    try {
      await this.runList(parsed.list, { stdin: io.stdin ?? Buffer.alloc(0), stdinIsTerminal: io.stdin === undefined, out, err }, frame);
    } catch (e) {
      if (!(e instanceof Flow)) throw e;
      if (e.kind === 'exit') {
        // `exit` in a shell entered with su or bash goes back to the one around it.
        const word = this.outer.length > 0 ? this.exitNested() : undefined;
        if (word === undefined) this.exitCode = e.n;
        else {
          if (this.terminal.interactive) err(`${word}\n`);
          this.lastStatus = e.n;
        }
      } else if (e.kind === 'abort' && this.aborted) this.lastStatus = 130;
      else if (e.kind === 'abort' && this.killed) {
        err('Killed\n');
        this.lastStatus = KILLED_STATUS;
      }
    }
    return { status: 'ok', exitCode: this.lastStatus };
  }

  /** W, cut to what is left of the line's MAX_TERMINAL_BYTES (a write past it is cut, not sent whole). */
  private capTerminal(w: Output): Output {
    return (d) => {
      const room = MAX_TERMINAL_BYTES - this.written;
      if (room <= 0) return;
      const len = typeof d === 'string' ? Buffer.byteLength(d) : d.length;
      // Most writes fit and go as they are; only the one that crosses the cap is turned into bytes and cut.
      const part = len <= room ? d : (typeof d === 'string' ? Buffer.from(d) : d).subarray(0, room);
      this.written += Math.min(len, room);
      w(part);
    };
  }

  async runScript(text: string, o: { name: string; args: string[]; stdin: Buffer; out: Output; err: Output; subshell: boolean }, depth = 1): Promise<number> {
    // Commands (sh -c, sudo, busybox) call in without a depth, so the scripts running now count too:
    // `f() { sh -c f; }; f` nested ten thousand deep, each level holding a copy of the variables.
    if (depth > MAX_CALL_DEPTH || this.scripts >= MAX_CALL_DEPTH) {
      o.err(`${o.name}: maximum nesting level exceeded\n`);
      return 1;
    }
    const parsed = parseShell(text.length > MAX_SCRIPT_CHARS ? text.slice(0, MAX_SCRIPT_CHARS) : text);
    if (parsed.status !== 'ok') {
      o.err(`${o.name}: line 1: ${parsed.status === 'incomplete' ? `syntax error: unexpected end of file` : parsed.reason}\n`);
      return 2;
    }
    const saved = o.subshell ? { cwd: this.cwd, env: new Map(this.env) } : undefined;
    this.scripts++;
    try {
      await this.runList(parsed.list, { stdin: o.stdin, stdinIsTerminal: false, out: o.out, err: o.err }, { args: o.args, name: o.name, depth });
    } catch (e) {
      if (!(e instanceof Flow)) throw e;
      if (e.kind === 'exit' || e.kind === 'return') this.lastStatus = e.n;
      else if (e.kind === 'abort') throw e;
    } finally {
      this.scripts--;
      if (saved) {
        this.cwd = saved.cwd;
        this.env.clear();
        for (const [k, v] of saved.env) this.env.set(k, v);
      }
    }
    return this.lastStatus;
  }

  /**
   * Called before each command and loop pass: lets the event loop run after YIELD_EVERY_MS of work,
   * then stops the line on Ctrl-C, past MAX_STEPS_PER_LINE or past MAX_LINE_WORK_MS.
   */
  private async tick(): Promise<void> {
    if (this.meter.sliceMs() >= YIELD_EVERY_MS) await this.meter.wait(() => new Promise<void>((r) => setImmediate(r)));
    if (this.aborted) throw new Flow('abort', 130);
    if (this.deadlines.length > 0 && this.deadlineLeft() === 0) throw new Flow('deadline', 124);
    if (++this.steps > MAX_STEPS_PER_LINE) throw new Flow('abort', 1);
    if (this.meter.workMs() > MAX_LINE_WORK_MS) {
      this.killed = true;
      throw new Flow('abort', KILLED_STATUS);
    }
  }

  /**
   * One pass of a loop body: a `break N`/`continue N` aimed at this loop comes back as 'break' or
   * 'continue'; one aimed further out is passed on with N - 1.
   */
  private async loopBody(body: List, io: Io, f: Frame): Promise<number | 'break' | 'continue'> {
    try {
      return await this.runList(body, io, f);
    } catch (e) {
      if (e instanceof Flow && (e.kind === 'break' || e.kind === 'continue')) {
        if (e.n > 1) throw new Flow(e.kind, e.n - 1);
        return e.kind;
      }
      throw e;
    }
  }

  private async runList(list: List, io: Io, f: Frame): Promise<number> {
    for (const item of list.items) {
      if (item.bg) {
        const pid = this.nextPid();
        this.lastBgPid = pid;
        this.jobs.push({ pid, command: 'bash', startedMs: this.now() });
        if (this.terminal.interactive && f.depth === 0) io.err(`[${this.jobs.length}] ${pid}\n`);
        // A background job runs to completion here, its output still reaching the terminal.
        await this.runAndOr(item.cmd, { ...io, stdinIsTerminal: false, stdin: Buffer.alloc(0) }, f);
        this.lastStatus = 0;
      } else {
        await this.runAndOr(item.cmd, io, f);
      }
    }
    return this.lastStatus;
  }

  private async runAndOr(a: AndOr, io: Io, f: Frame): Promise<number> {
    let status = await this.runPipeline(a.first, io, f);
    for (const r of a.rest) {
      if ((r.op === '&&' && status === 0) || (r.op === '||' && status !== 0)) status = await this.runPipeline(r.p, io, f);
    }
    return status;
  }

  private async runPipeline(p: Pipeline, io: Io, f: Frame): Promise<number> {
    if (p.cmds.length === 1) {
      // One command shares its caller's stdin, so `while read` consumes it line by line.
      let status = await this.runCommand(p.cmds[0]!, io, f);
      if (p.negate) status = status === 0 ? 1 : 0;
      return (this.lastStatus = status);
    }
    let stdin = io.stdin;
    let stdinIsTerminal = io.stdinIsTerminal;
    let status = 0;
    for (let i = 0; i < p.cmds.length; i++) {
      const last = i === p.cmds.length - 1;
      const cap = last ? undefined : new Capture();
      status = await this.runCommand(p.cmds[i]!, { stdin, stdinIsTerminal, out: cap ? cap.write : io.out, err: io.err }, f);
      if (cap) {
        stdin = cap.buffer();
        stdinIsTerminal = false;
      }
    }
    if (p.negate) status = status === 0 ? 1 : 0;
    this.lastStatus = status;
    return status;
  }

  private async runCommand(c: Command, io: Io, f: Frame): Promise<number> {
    await this.tick();
    if (c.kind === 'function') {
      if (this.defineFunction(c.name, c.body)) return (this.lastStatus = 0);
      io.err(`-bash: xmalloc: cannot allocate ${c.name.length + 64} bytes (${this.functions.size} functions allocated)\n`);
      return (this.lastStatus = 1);
    }
    if (c.kind === 'simple') return this.runSimple(c, io, f);
    return this.withRedirs(c.redirs, io, f, async (rio) => {
      switch (c.kind) {
        case 'group': {
          if (!c.subshell) return this.runList(c.body, rio, f);
          const saved = { cwd: this.cwd, env: new Map(this.env) };
          try {
            return await this.runList(c.body, rio, f);
          } catch (e) {
            if (e instanceof Flow && e.kind === 'exit') return (this.lastStatus = e.n);
            throw e;
          } finally {
            this.cwd = saved.cwd;
            this.env.clear();
            for (const [k, v] of saved.env) this.env.set(k, v);
          }
        }
        case 'case': {
          const subject = (await this.expandWord(c.word, rio, f, false)).join(' ');
          const budget = new GlobBudget();
          for (const arm of c.arms) {
            for (const pw of arm.patterns) {
              const pat = (await this.expandWord(pw, rio, f, false)).join(' ');
              if (globMatcher(pat, budget)(subject)) return this.runList(arm.body, rio, f);
            }
          }
          return (this.lastStatus = 0);
        }
        case 'if': {
          for (const b of c.branches) {
            if ((await this.runList(b.cond, rio, f)) === 0) return this.runList(b.body, rio, f);
          }
          if (c.orelse) return this.runList(c.orelse, rio, f);
          return (this.lastStatus = 0);
        }
        case 'for': {
          const items = c.items ? (await this.expandWords(c.items, rio, f)).words : [...f.args];
          let status = 0;
          for (const it of items) {
            await this.tick();
            if (!this.setVar(c.name, it, rio.err)) return (this.lastStatus = 1);
            const r = await this.loopBody(c.body, rio, f);
            if (r === 'break') break;
            if (r === 'continue') continue;
            status = r;
          }
          return (this.lastStatus = status);
        }
        case 'while': {
          let status = 0;
          for (;;) {
            await this.tick();
            const cond = await this.runList(c.cond, rio, f);
            if ((cond === 0) === c.until) break;
            const r = await this.loopBody(c.body, rio, f);
            if (r === 'break') break;
            if (r === 'continue') continue;
            status = r;
          }
          return (this.lastStatus = status);
        }
      }
    });
  }

  /** Applies redirections around BODY: files are read before and written after it runs. */
  private async withRedirs(redirs: Redir[], io: Io, f: Frame, body: (io: Io) => Promise<number>): Promise<number> {
    if (redirs.length === 0) return body(io);
    const fds: Record<number, { out?: Output; file?: { path: string; append: boolean; cap: Capture }; null?: boolean }> = {};
    let stdin = io.stdin;
    let stdinIsTerminal = io.stdinIsTerminal;
    const outFor = (fd: number): Output => {
      const t = fds[fd];
      if (t?.file) return t.file.cap.write;
      if (t?.null) return () => {};
      if (t?.out) return t.out;
      return fd === 2 ? io.err : io.out;
    };
    for (const r of redirs) {
      const target = (await this.expandWord(r.target, io, f, false)).join(' ');
      switch (r.op) {
        case '<': {
          const data = this.vfs.readFile(this.resolve(target));
          if (typeof data === 'string') {
            io.err(`-bash: ${target}: ${FS_ERROR_TEXT[data]}\n`);
            return (this.lastStatus = 1);
          }
          stdin = data;
          stdinIsTerminal = false;
          break;
        }
        case '<<':
          stdin = Buffer.from(r.heredocExpand ? await this.expandHeredoc(r.heredoc ?? '', io, f) : (r.heredoc ?? ''));
          stdinIsTerminal = false;
          break;
        case '<<<':
          stdin = Buffer.from(`${target}\n`);
          stdinIsTerminal = false;
          break;
        case '>&':
        case '<&': {
          if (/^\d+$/.test(target)) {
            const src = outFor(Number(target));
            fds[r.fd] = { out: src };
          } else if (target === '-') {
            fds[r.fd] = { null: true };
          } else {
            const e = this.openOut(target, false, io);
            if (e === undefined) return (this.lastStatus = 1);
            fds[1] = e;
            fds[2] = e;
          }
          break;
        }
        case '>':
        case '>|':
        case '>>':
        case '&>':
        case '&>>':
        case '<>': {
          if (r.op === '<>') break;
          const e = this.openOut(target, r.op === '>>' || r.op === '&>>', io);
          if (e === undefined) return (this.lastStatus = 1);
          if (r.op.startsWith('&')) {
            fds[1] = e;
            fds[2] = e;
          } else fds[r.fd] = e;
          break;
        }
      }
    }
    let status: number;
    try {
      status = await body({ stdin, stdinIsTerminal, out: outFor(1), err: outFor(2) });
    } finally {
      const done = new Set<unknown>();
      for (const t of Object.values(fds)) {
        if (!t.file || done.has(t.file)) continue;
        done.add(t.file);
        const data = t.file.cap.buffer();
        const e = this.vfs.writeFile(t.file.path, data, { append: true });
        if (e) io.err(`-bash: ${t.file.path}: ${FS_ERROR_TEXT[e]}\n`);
        else if (data.length > 0) {
          const full = this.vfs.readFile(t.file.path);
          if (typeof full !== 'string') this.hooks.fileWritten?.(t.file.path, full, 'redirect');
        }
      }
    }
    return status;
  }

  private openOut(target: string, append: boolean, io: Io): { file?: { path: string; append: boolean; cap: Capture }; null?: boolean } | undefined {
    if (target === '') {
      io.err('-bash: : No such file or directory\n');
      return undefined;
    }
    const path = this.resolve(target);
    const st = this.vfs.stat(path);
    if (typeof st !== 'string' && st.node.kind === 'file' && (st.node.special || st.node.generate)) {
      if (path.startsWith('/dev/')) return { null: true };
    }
    // Truncate (or create) now, as the shell does before the command runs.
    const e = append && typeof st !== 'string' ? undefined : this.vfs.writeFile(path, Buffer.alloc(0));
    if (e) {
      io.err(`-bash: ${target}: ${FS_ERROR_TEXT[e]}\n`);
      return undefined;
    }
    return { file: { path, append, cap: new Capture() } };
  }

  private async runSimple(c: SimpleCommand, io: Io, f: Frame): Promise<number> {
    const expanded = await this.expandWords(c.words, io, f);
    if (expanded.tooLong) {
      io.err(`-bash: ${(expanded.words[0] ?? '').slice(0, 256)}: Argument list too long\n`);
      return (this.lastStatus = 126);
    }
    let words = expanded.words;
    // Aliases apply to the first word as typed.
    const first = words[0];
    if (first !== undefined && f.depth === 0 && c.words[0] && wordLiteral(c.words[0]) === first) {
      const alias = this.aliases.get(first);
      if (alias) words = [...alias.split(/\s+/).filter(Boolean), ...words.slice(1)];
    }
    // Assignments are made left to right, each seeing the ones before it, as in bash.
    if (words.length === 0) {
      for (const a of c.assigns) if (!this.setVar(a.name, await this.expandAssignment(a.value, io, f), io.err)) return (this.lastStatus = 1);
      return this.withRedirs(c.redirs, io, f, async () => (this.lastStatus = 0));
    }
    const savedEnv: [string, string | undefined][] = [];
    try {
      for (const a of c.assigns) {
        savedEnv.push([a.name, this.env.get(a.name)]);
        if (!this.setVar(a.name, await this.expandAssignment(a.value, io, f), io.err)) return (this.lastStatus = 1);
      }
      const status = await this.withRedirs(c.redirs, io, f, (rio) => this.invoke(words, rio, f));
      this.lastStatus = status;
      this.env.set('_', words[words.length - 1] ?? '');
      return status;
    } finally {
      for (const [k, v] of savedEnv.reverse()) {
        if (v === undefined) this.env.delete(k);
        else this.env.set(k, v);
      }
    }
  }

  private async expandAssignment(value: Word, io: Io, f: Frame): Promise<string> {
    return (await this.expandWord(value, io, f, false)).join(' ');
  }

  async runProgram(argv: readonly string[], io: { stdin: Buffer; out: Output; err: Output }): Promise<number | undefined> {
    const path = findProgram(this, argv[0] ?? '');
    if (path === undefined) return undefined;
    await this.tick();
    return this.invoke([path, ...argv.slice(1)], { ...io, stdinIsTerminal: false }, { args: [], name: 'bash', depth: 1 }, argv[0]);
  }

  /** Runs WORDS: a builtin, a function, an emulated command, or a script file (ARGV0: what the command sees as its name, when not WORDS[0]). */
  async invoke(words: string[], io: Io, f: Frame, argv0?: string): Promise<number> {
    const [path, ...args] = words as [string, ...string[]];
    const name = argv0 ?? path;
    const builtin = argv0 === undefined ? BUILTINS[path] : undefined;
    if (builtin) return builtin(this, args, io, f);
    const fn = argv0 === undefined ? this.functions.get(name) : undefined;
    if (fn) {
      if (f.depth >= MAX_CALL_DEPTH) {
        io.err(`-bash: ${name}: maximum function nesting level exceeded (${MAX_CALL_DEPTH})\n`);
        return 1;
      }
      try {
        return await this.runCommand(fn, io, { args, name: f.name, depth: f.depth + 1 });
      } catch (e) {
        if (e instanceof Flow && e.kind === 'return') return e.n;
        throw e;
      }
    }
    let cmdName = name;
    if (path.includes('/')) {
      const abs = this.resolve(path);
      const st = this.vfs.stat(abs);
      if (typeof st === 'string') {
        io.err(`${this.diagPrefix(f.depth)}: ${name}: ${FS_ERROR_TEXT[st]}\n`);
        return 127;
      }
      if (st.node.kind === 'dir') {
        io.err(`${this.diagPrefix(f.depth)}: ${name}: Is a directory\n`);
        return 126;
      }
      if (st.node.kind !== 'file') return 126;
      if (this.user.uid !== 0 && (st.node.mode & 0o111) === 0) {
        io.err(`${this.diagPrefix(f.depth)}: ${name}: Permission denied\n`);
        return 126;
      }
      if (this.user.uid === 0 && (st.node.mode & 0o111) === 0) {
        io.err(`${this.diagPrefix(f.depth)}: ${name}: Permission denied\n`);
        return 126;
      }
      if (st.node.command) cmdName = st.node.command;
      else return this.execFile(name, abs, args, io, f);
    } else if (!this.commands.has(name)) {
      io.err(this.terminal.interactive && f.depth === 0 ? `-bash: ${name}: command not found\n` : `${f.depth === 0 ? 'bash: line 1' : f.name}: ${name}: command not found\n`);
      return 127;
    }
    const def = this.commands.get(cmdName);
    if (!def) {
      io.err(`${this.diagPrefix(f.depth)}: ${name}: command not found\n`);
      return 127;
    }
    const ctx: CommandContext = { name, program: path.includes('/'), args, stdin: io.stdin, stdinIsTerminal: io.stdinIsTerminal, stdoutIsTerminal: this.terminalOut !== undefined && io.out === this.terminalOut, out: io.out, err: io.err, sh: this, readLine: (p, e) => this.readLine(p, e) };
    // Each command is a process of its own: the next pid, which ps and /proc/self show for it.
    const outer = this.running;
    this.running = { pid: this.nextPid(), name: cmdName, argv: [name, ...args] };
    try {
      return await def.run(ctx);
    } catch (e) {
      if (e instanceof Flow) throw e;
      // A bug in one emulated command must not end the session: answer as a crashed program would.
      io.err('Segmentation fault\n');
      return 139;
    } finally {
      this.running = outer;
    }
  }

  /** Runs a file the attacker made: text is a script; an ELF for this machine "runs" silently. */
  private async execFile(name: string, path: string, args: string[], io: Io, f: Frame): Promise<number> {
    const data = this.vfs.readFile(path);
    if (typeof data === 'string') {
      io.err(`${this.diagPrefix(f.depth)}: ${name}: ${FS_ERROR_TEXT[data]}\n`);
      return 126;
    }
    const elf = elfMachine(data);
    if (elf) {
      if (elf.machine !== 0x3e && elf.machine !== 0x03) {
        io.err(`${this.diagPrefix(f.depth)}: ${name}: cannot execute binary file: Exec format error\n`);
        return 126;
      }
      const pid = this.nextPid();
      this.jobs.push({ pid, command: `${name} ${args.join(' ')}`.trim(), startedMs: this.now() });
      return 0;
    }
    if (data.includes(0)) {
      io.err(`${this.diagPrefix(f.depth)}: ${name}: cannot execute binary file: Exec format error\n`);
      return 126;
    }
    return this.runScript(data.toString('utf8'), { name, args, stdin: io.stdin, out: io.out, err: io.err, subshell: true }, f.depth + 1);
  }

  /**
   * Expands a command's words into at most MAX_WORDS fields. `tooLong` when they passed
   * MAX_COMMAND_CHARS: the words from there on are not expanded.
   */
  async expandWords(words: Word[], io: Io, f: Frame): Promise<{ words: string[]; tooLong: boolean }> {
    const out: string[] = [];
    let chars = 0;
    for (const w of words) {
      for (const x of await this.expandWord(w, io, f, true)) {
        if (out.length >= MAX_WORDS) return { words: out, tooLong: false };
        chars += x.length;
        if (chars > MAX_COMMAND_CHARS) return { words: out, tooLong: true };
        out.push(x);
      }
    }
    return { words: out, tooLong: false };
  }

  private lookupVar(name: string, f: Frame): string | undefined {
    if (/^[0-9]$/.test(name)) return name === '0' ? f.name : f.args[Number(name) - 1];
    switch (name) {
      case '?':
        return String(this.lastStatus);
      case '$':
        return String(this.shellPid);
      case '#':
        return String(f.args.length);
      case '@':
      case '*':
        return f.args.join(' ');
      case '!':
        return this.lastBgPid ? String(this.lastBgPid) : '';
      case '-':
        return 'himBHs';
      case 'RANDOM':
        return String(Math.floor(Math.random() * 32768));
      case 'PWD':
        return this.cwd;
      case 'UID':
        return String(this.user.uid);
      case 'EUID':
        return String(this.user.uid);
      case 'HOSTNAME':
        return this.profile.hostname;
      case 'BASH':
        return '/usr/bin/bash';
      case 'BASH_VERSION':
        return '5.2.15(1)-release';
      case 'HOSTTYPE':
        return 'x86_64';
      case 'OSTYPE':
        return 'linux-gnu';
      case 'SECONDS':
        return String(Math.floor((this.now() - this.terminal.loginMs) / 1000));
      case 'PPID':
        return String(this.loginPid);
    }
    return this.env.get(name);
  }

  /** Expands one word into fields (SPLIT: field splitting and globbing apply, as for command words). */
  async expandWord(w: Word, io: Io, f: Frame, split: boolean): Promise<string[]> {
    const fields: { text: string; pattern: string; glob: boolean }[] = [];
    let cur: { text: string; pattern: string; glob: boolean } | undefined;
    let sawQuoted = false;
    // What is left of MAX_WORD_CHARS: text past it is dropped before it is copied anywhere.
    let room = MAX_WORD_CHARS;
    const clip = (s: string): string => {
      const t = s.length > room ? s.slice(0, room) : s;
      room -= t.length;
      return t;
    };
    const add = (s: string, quoted: boolean): void => put(clip(s), quoted);
    const put = (s: string, quoted: boolean): void => {
      cur ??= { text: '', pattern: '', glob: false };
      cur.text += s;
      cur.pattern += quoted ? s.replace(/[*?[\]\\]/g, '\\$&') : s;
      if (!quoted && /[*?[]/.test(s)) cur.glob = true;
    };
    const addSplit = (s: string): void => {
      if (!split) return add(s, true);
      const pieces = clip(s).split(/[ \t\n]+/);
      pieces.forEach((piece, i) => {
        if (i > 0 && cur) {
          fields.push(cur);
          cur = undefined;
        }
        if (piece !== '') put(piece, false);
      });
    };
    for (let idx = 0; idx < w.parts.length; idx++) {
      const p = w.parts[idx]!;
      if (p.q) sawQuoted = true;
      switch (p.t) {
        case 'lit': {
          let v = p.v;
          if (idx === 0 && !p.q && (v === '~' || v.startsWith('~/'))) v = this.user.home + v.slice(1);
          add(v, p.q);
          break;
        }
        case 'var': {
          let v = this.lookupVar(p.name, f);
          if (p.op === '#') v = String((v ?? '').length);
          else if (p.op) {
            const arg = p.arg ? (await this.expandWord(p.arg, io, f, false)).join(' ') : '';
            const unsetOrEmpty = p.op.startsWith(':') ? !v : v === undefined;
            if (p.op.endsWith('-')) v = unsetOrEmpty ? arg : v;
            else if (p.op.endsWith('=')) {
              if (unsetOrEmpty) {
                v = arg;
                this.setVar(p.name, arg, io.err);
              }
            } else if (p.op.endsWith('+')) v = unsetOrEmpty ? '' : arg;
          }
          if (p.name === '@' && p.q && split) {
            f.args.forEach((a, i) => {
              if (i > 0) {
                fields.push(cur ?? { text: '', pattern: '', glob: false });
                cur = undefined;
              }
              add(a, true);
            });
            break;
          }
          if (p.q) add(v ?? '', true);
          else addSplit(v ?? '');
          break;
        }
        case 'sub': {
          const cap = new Capture();
          const saved = this.lastStatus;
          try {
            await this.runList(p.list, { stdin: Buffer.alloc(0), stdinIsTerminal: false, out: cap.write, err: io.err }, { ...f, depth: f.depth + 1 });
          } catch (e) {
            if (!(e instanceof Flow) || e.kind === 'abort') throw e;
          }
          void saved;
          const text = trimTrailing(cap.buffer().toString('utf8'), '\n');
          if (p.q) add(text, true);
          else addSplit(text);
          break;
        }
        case 'arith': {
          const expanded = (await this.expandWord({ parts: [{ t: 'lit', v: p.expr, q: true }] }, io, f, false)).join('');
          const v = evalArith(expanded, (n) => this.lookupVar(n, f));
          if (typeof v === 'string') {
            io.err(`-bash: ${p.expr}: ${v}\n`);
            throw new Flow('abort', 1);
          }
          if (p.q) add(v.toString(), true);
          else addSplit(v.toString());
          break;
        }
      }
    }
    if (cur) fields.push(cur);
    if (fields.length === 0 && sawQuoted) return [''];
    if (!split) return [fields.map((x) => x.text).join(' ')];
    const out: string[] = [];
    for (const fld of fields) {
      if (fld.glob) {
        const matches = this.glob(fld.pattern);
        if (matches.length) {
          out.push(...matches);
          continue;
        }
      }
      out.push(fld.text);
    }
    return out;
  }

  private async expandHeredoc(body: string, io: Io, f: Frame): Promise<string> {
    // Only $VAR, ${VAR}, $(...) and `...` expand in an unquoted here-document.
    const word = parseShell(`: "${body.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
    if (word.status !== 'ok') return body;
    const cmd = word.list.items[0]?.cmd.first.cmds[0];
    if (!cmd || cmd.kind !== 'simple' || !cmd.words[1]) return body;
    return (await this.expandWord(cmd.words[1], io, f, false)).join(' ');
  }

  /**
   * Matches PATTERN (with \-escaped literal characters) against the virtual filesystem. A pattern
   * that would look at more than MAX_GLOB_CANDIDATES paths, or match for more than
   * MAX_GLOB_MATCH_STEPS, gives up and matches nothing, so the word stays as typed (bash's answer
   * for a pattern without matches).
   */
  glob(pattern: string): string[] {
    const abs = pattern.startsWith('/');
    const parts = pattern.split('/').filter((x) => x !== '');
    let paths: string[] = [abs ? '/' : ''];
    let candidates = 0;
    const budget = new GlobBudget();
    for (const part of parts) {
      const next: string[] = [];
      const isGlob = /(^|[^\\])[*?[]/.test(part);
      const match = isGlob ? globMatcher(part, budget) : undefined;
      const lit = part.replace(/\\(.)/g, '$1');
      const hidden = part.startsWith('.') || part.startsWith('\\.');
      for (const base of paths) {
        const join = (n: string): string => (base === '' ? n : base === '/' ? `/${n}` : `${base}/${n}`);
        if (!match) {
          if (++candidates > MAX_GLOB_CANDIDATES) return [];
          next.push(join(lit));
          continue;
        }
        const list = this.vfs.list(this.vfs.resolve(this.cwd, base === '' ? this.cwd : base));
        if (typeof list === 'string') continue;
        candidates += list.length;
        if (candidates > MAX_GLOB_CANDIDATES) return [];
        for (const n of list) if ((hidden || !n.startsWith('.')) && match(n)) next.push(join(n));
        if (budget.exhausted) return [];
      }
      paths = next;
      if (paths.length === 0) return [];
    }
    // A name matches as readdir lists it: a dangling symlink too.
    return paths.filter((p) => typeof this.vfs.stat(this.vfs.resolve(this.cwd, p), false) !== 'string').sort();
  }

  /** Reads a line from the terminal for prompting commands. */
  readLine(prompt: string, echo: boolean): Promise<string | undefined> {
    return this.meter.wait(() => this.readLineFn(prompt, echo));
  }
}

/**
 * Paths one pathname expansion may look at (names listed plus literal parts appended), over every
 * directory and level together: each level of `*` then `..` multiplies them, and 35 such levels
 * held the event loop for 20 s. Past it the word stays unexpanded.
 */
export const MAX_GLOB_CANDIDATES = 10_000;

/**
 * Matching steps one pathname expansion, `case` or `find` may take over all its matches (about
 * 0.1 s). One match is O(pattern * subject), and both can be long (a `case` on a captured file,
 * thousands of long names), so past it nothing more matches: the word stays unexpanded.
 */
export const MAX_GLOB_MATCH_STEPS = 2 ** 23;

/** The matching work the patterns of one expansion, `case` or `find` have done (see above). */
export class GlobBudget {
  steps = 0;
  /** Set when a match was given up because the budget was spent. */
  exhausted = false;
}

/**
 * One element of a compiled shell pattern: a literal character, `?`, `*` or a bracket expression.
 * Every kind has the same fields, so the matcher's loop sees one object shape and stays fast.
 */
interface GlobToken {
  kind: 'char' | 'any' | 'star' | 'class';
  /** A 'char' token's UTF-16 code unit. */
  code: number;
  /** A 'class' token's members as [low, high] code units, and whether it is negated. */
  ranges: readonly (readonly [number, number])[];
  negate: boolean;
}

function globToken(kind: GlobToken['kind'], code = -1, ranges: [number, number][] = [], negate = false): GlobToken {
  return { kind, code, ranges, negate };
}

/**
 * The members of a bracket expression's inside (without the brackets): single characters and
 * `a-z` ranges by UTF-16 code unit; a leading `!` or `^` negates. A backslash is a plain member.
 * The ranges are sorted and merged, so a member test is a binary search: scanning them all for every
 * character made `case $s in *[$R])` (400K members, 4000 characters) take 7.9 s.
 */
function globClass(body: string): GlobToken {
  const negate = body.startsWith('!') || body.startsWith('^');
  const ranges: [number, number][] = [];
  for (let j = negate ? 1 : 0; j < body.length; j++) {
    const lo = body.charCodeAt(j);
    if (body[j + 1] === '-' && j + 2 < body.length) {
      ranges.push([lo, body.charCodeAt(j + 2)]); // a reversed range matches nothing
      j += 2;
    } else ranges.push([lo, lo]);
  }
  return globToken('class', -1, mergeRanges(ranges), negate);
}

/**
 * GLOB as tokens: `\x` is a literal x; a `[` with no `]` after its first member is a literal. Once
 * no `]` is left, later `[`s are not searched again (each search to the end made 512K `[`s take 1.75 s).
 */
function compileGlob(glob: string): GlobToken[] {
  const out: GlobToken[] = [];
  let noCloseFrom = Infinity; // no `]` at or after this index, once a search failed
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) out.push(globToken('char', glob.charCodeAt(++i)));
    else if (c === '*') {
      if (out[out.length - 1]?.kind !== 'star') out.push(globToken('star'));
    } else if (c === '?') out.push(globToken('any'));
    else if (c === '[' && i + 2 < noCloseFrom) {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        noCloseFrom = i + 2;
        out.push(globToken('char', glob.charCodeAt(i)));
        continue;
      }
      out.push(globClass(glob.slice(i + 1, end)));
      i = end;
    } else out.push(globToken('char', glob.charCodeAt(i)));
  }
  return out;
}

/** Whether a one-character token (not `*`) matches the UTF-16 code unit CODE. */
function tokenMatches(t: GlobToken, code: number): boolean {
  if (t.kind === 'char') return t.code === code;
  if (t.kind === 'any') return true;
  return inRanges(t.ranges, code) !== t.negate;
}

/** Whether CODE is in RANGES (disjoint, ascending): a binary search. */
function inRanges(ranges: readonly (readonly [number, number])[], code: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = ranges[mid]!;
    if (code < r[0]) hi = mid - 1;
    else if (code > r[1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * Whether S matches TOKENS as a whole: the classic two-pointer wildcard walk. On a mismatch it
 * resumes after the last `*`, that star taking one more character; earlier stars never need to
 * take more, so it is O(pattern * subject), where a RegExp such as ^.*a.*a.*a.*b$ backtracks
 * polynomially in the subject (a `case` on 60 characters took seconds). Steps go to BUDGET.
 */
function matchGlob(tokens: GlobToken[], s: string, budget: GlobBudget): boolean {
  const limit = MAX_GLOB_MATCH_STEPS - budget.steps;
  let steps = 0;
  let t = 0;
  let i = 0;
  let star = -1; // token index of the last star seen
  let resume = 0; // where the text after that star is next tried
  for (; i < s.length; steps++) {
    if (steps > limit) {
      budget.exhausted = true;
      break;
    }
    const tok = tokens[t];
    if (tok !== undefined && tok.kind === 'star') {
      star = t++;
      resume = i;
    } else if (tok !== undefined && tokenMatches(tok, s.charCodeAt(i))) {
      t++;
      i++;
    } else if (star >= 0) {
      t = star + 1;
      i = ++resume;
    } else break;
  }
  budget.steps += steps;
  if (i < s.length) return false;
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}


/** A matcher for the shell pattern GLOB (`*`, `?`, `[...]`, `\x`), compiled once, charging BUDGET. */
export function globMatcher(glob: string, budget = new GlobBudget()): (s: string) => boolean {
  const tokens = compileGlob(glob);
  return (s) => matchGlob(tokens, s, budget);
}

type Builtin = (sh: Shell, args: string[], io: Io, f: Frame) => number | Promise<number>;

/** Builtins that change the shell itself (cwd, variables, control flow); the rest live in commands/. */
const BUILTINS: Record<string, Builtin> = {
  cd(sh, args, io, f) {
    const target = args[0] === undefined || args[0] === '~' ? sh.user.home : args[0] === '-' ? (sh.env.get('OLDPWD') ?? sh.cwd) : args[0];
    const path = sh.resolve(target);
    const st = sh.vfs.stat(path);
    if (typeof st === 'string') {
      io.err(`${sh.diagPrefix(f.depth)}: cd: ${target}: ${FS_ERROR_TEXT[st]}\n`);
      return 1;
    }
    if (st.node.kind !== 'dir') {
      io.err(`${sh.diagPrefix(f.depth)}: cd: ${target}: Not a directory\n`);
      return 1;
    }
    if (sh.user.uid !== 0 && (st.node.mode & 0o001) === 0 && st.node.uid !== sh.user.uid) {
      io.err(`${sh.diagPrefix(f.depth)}: cd: ${target}: Permission denied\n`);
      return 1;
    }
    sh.env.set('OLDPWD', sh.cwd);
    sh.cwd = path;
    sh.env.set('PWD', path);
    if (args[0] === '-') io.out(`${path}\n`);
    return 0;
  },
  export(sh, args, io) {
    if (args.length === 0 || args[0] === '-p') {
      for (const k of [...sh.exported.keys()].sort()) if (sh.env.has(k)) io.out(`declare -x ${k}="${sh.env.get(k)}"\n`);
      return 0;
    }
    for (const a of args) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a : a.slice(0, eq);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        io.err(`-bash: export: \`${a}': not a valid identifier\n`);
        return 1;
      }
      if (eq >= 0 && !sh.setVar(name, a.slice(eq + 1), io.err)) return 1;
      if (!setBounded(sh.exported, name, '', io.err)) return 1;
    }
    return 0;
  },
  unset(sh, args) {
    for (const a of args) if (!a.startsWith('-')) (sh.env.delete(a), sh.functions.delete(a));
    return 0;
  },
  set(sh, args, io) {
    if (args.length === 0) for (const [k, v] of [...sh.env].sort()) io.out(`${k}=${/[\s'"$]/.test(v) ? `'${v.replace(/'/g, "'\\''")}'` : v}\n`);
    return 0;
  },
  exit(sh, args) {
    const n = args[0] !== undefined && /^-?\d+$/.test(args[0]) ? Number(args[0]) & 255 : sh.lastStatus;
    throw new Flow('exit', n);
  },
  logout(sh, args, io, f) {
    if (f.depth > 0 || !sh.terminal.interactive) {
      io.err('-bash: logout: not login shell: use `exit\'\n');
      return 1;
    }
    throw new Flow('exit', args[0] ? Number(args[0]) & 255 : 0);
  },
  return(sh, args) {
    throw new Flow('return', args[0] ? Number(args[0]) & 255 : sh.lastStatus);
  },
  break(_sh, args) {
    throw new Flow('break', Math.max(1, Number(args[0] ?? 1) || 1));
  },
  continue(_sh, args) {
    throw new Flow('continue', Math.max(1, Number(args[0] ?? 1) || 1));
  },
  shift(_sh, args, _io, f) {
    f.args.splice(0, Number(args[0] ?? 1) || 1);
    return 0;
  },
  alias(sh, args, io) {
    if (args.length === 0) {
      for (const [k, v] of [...sh.aliases].sort()) io.out(`alias ${k}='${v}'\n`);
      return 0;
    }
    for (const a of args) {
      const eq = a.indexOf('=');
      if (eq < 0) {
        const v = sh.aliases.get(a);
        if (v === undefined) {
          io.err(`-bash: alias: ${a}: not found\n`);
          return 1;
        }
        io.out(`alias ${a}='${v}'\n`);
      } else if (!setBounded(sh.aliases, a.slice(0, eq), a.slice(eq + 1), io.err)) return 1;
    }
    return 0;
  },
  unalias(sh, args) {
    for (const a of args) if (a === '-a') sh.aliases.clear();
    else sh.aliases.delete(a);
    return 0;
  },
  async read(sh, args, io) {
    const names = args.filter((a) => !a.startsWith('-'));
    const raw = args.includes('-r');
    let line: string | undefined;
    if (io.stdinIsTerminal) line = await sh.readLine('', true);
    else {
      const text = io.stdin.toString('utf8');
      const nl = text.indexOf('\n');
      if (text.length === 0) return 1;
      line = nl < 0 ? text : text.slice(0, nl);
      // `while read` consumes stdin line by line: keep the rest for the next read.
      (io as { stdin: Buffer }).stdin = Buffer.from(nl < 0 ? '' : text.slice(nl + 1));
    }
    if (line === undefined) return 1;
    if (!raw) line = line.replace(/\\(.)/g, '$1');
    const vars = names.length ? names : ['REPLY'];
    const fields = vars.length === 1 ? [line.trim()] : line.trim().split(/[ \t]+/);
    const ok = vars.every((v, i) => sh.setVar(v, i === vars.length - 1 ? fields.slice(i).join(' ') : (fields[i] ?? ''), io.err));
    return ok ? 0 : 1;
  },
  async source(sh, args, io, f) {
    const file = args[0];
    if (!file) {
      io.err('-bash: source: filename argument required\nsource: usage: source filename [arguments]\n');
      return 2;
    }
    const data = sh.vfs.readFile(sh.resolve(file));
    if (typeof data === 'string') {
      io.err(`-bash: ${file}: ${FS_ERROR_TEXT[data]}\n`);
      return 1;
    }
    return sh.runScript(data.toString('utf8'), { name: file, args: args.slice(1), stdin: io.stdin, out: io.out, err: io.err, subshell: false }, f.depth + 1);
  },
  // The shell's own `eval` builtin: it re-parses text in the emulated shell, nothing runs on the host.
  async ['eval'](sh, args, io, f) {
    return sh.runScript(args.join(' '), { name: '-bash', args: f.args, stdin: io.stdin, out: io.out, err: io.err, subshell: false }, f.depth + 1);
  },
  async exec(sh, args, io, f) {
    if (args.length === 0) return 0;
    const status = await sh.invoke(args, io, f);
    throw new Flow('exit', status);
  },
  async command(sh, args, io, f) {
    if (args[0] === '-v' || args[0] === '-V') {
      // Every name is looked up; the status is 0 when any was found. bash -c has no aliases.
      const v = args[0] === '-v';
      let any = false;
      for (const n of args.slice(1)) {
        const path = n.includes('/') ? (sh.vfs.exists(sh.resolve(n)) ? n : undefined) : sh.isKnownCommand(n) ? commandPath(sh, n) : undefined;
        let line: string | undefined;
        if (sh.terminal.interactive && sh.aliases.has(n)) line = v ? `alias ${n}='${sh.aliases.get(n)}'` : `${n} is aliased to \`${sh.aliases.get(n)}'`;
        else if (BUILTINS[n] || BUILTIN_NAMES.has(n)) line = v ? n : `${n} is a shell builtin`;
        else if (sh.functions.has(n)) line = v ? n : `${n} is a function`;
        else if (path !== undefined) line = v ? path : `${n} is ${path}`;
        if (line === undefined) {
          if (!v) io.err(`-bash: command: ${n}: not found\n`);
          continue;
        }
        any = true;
        io.out(`${line}\n`);
      }
      return any ? 0 : 1;
    }
    return args.length ? sh.invoke(args, io, f) : 0;
  },
  type(sh, args, io) {
    let status = 0;
    for (const n of args) {
      if (sh.terminal.interactive && sh.aliases.has(n)) io.out(`${n} is aliased to \`${sh.aliases.get(n)}'\n`);
      else if (BUILTINS[n] || BUILTIN_NAMES.has(n)) io.out(`${n} is a shell builtin\n`);
      else if (sh.functions.has(n)) io.out(`${n} is a function\n`);
      else if (sh.isKnownCommand(n)) io.out(`${n} is ${commandPath(sh, n)}\n`);
      else {
        io.err(`-bash: type: ${n}: not found\n`);
        status = 1;
      }
    }
    return status;
  },
  wait() {
    return 0;
  },
  jobs() {
    return 0;
  },
  trap() {
    return 0;
  },
  umask(_sh, args, io) {
    if (!args.length) io.out('0022\n');
    return 0;
  },
  ulimit(sh, args, io, f) {
    const r = ulimitBuiltin(sh.limits, args, sh.user.uid === 0, sh.diagPrefix(f.depth));
    if (r.out) io.out(r.out);
    if (r.err) io.err(r.err);
    return r.status;
  },
  hash() {
    return 0;
  },
  shopt() {
    return 0;
  },
};
BUILTINS['.'] = BUILTINS.source!;

/** Names the shell answers as builtins (with those in commands/ that bash also has built in). */
export const BUILTIN_NAMES: ReadonlySet<string> = new Set([...Object.keys(BUILTINS), 'echo', 'printf', 'true', 'false', ':', 'test', '[', 'history', 'kill', 'pwd', 'enable', 'help']);

/**
 * Sets NAME in MAP for an assignment, export or alias. Past the map's limits it fails with the message
 * bash gives when malloc fails (bash would then die; the session goes on) and returns false.
 */
function setBounded(map: BoundedStringMap, name: string, value: string, err: Output): boolean {
  if (map.fits(name, value)) {
    map.set(name, value);
    return true;
  }
  err(`-bash: xmalloc: cannot allocate ${Math.min(value.length, MAX_WORD_CHARS) + name.length + 2} bytes (${map.totalChars} bytes allocated)\n`);
  return false;
}

function commandPath(sh: Shell, n: string): string {
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin']) {
    const st = sh.vfs.stat(`${d}/${n}`);
    if (typeof st !== 'string') return `${d}/${n}`;
  }
  return `/usr/bin/${n}`;
}

export { commandPath };
export type { Io as ShellIo };
export const SHELL_DIRNAME = posix.dirname;
