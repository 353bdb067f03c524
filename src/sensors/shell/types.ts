// What an emulated command sees: its argv, stdin, output streams, and the shell it runs in.
import type { FakeUser, SystemProfile } from './profile.js';
import type { Vfs } from './vfs.js';

export interface DownloadRequest {
  url: string;
  /** The command that asked (wget, curl, tftp, ftpget). */
  tool: string;
  /** Where the file goes in the fake system, when it is saved. */
  path?: string;
}
export type DownloadResult =
  | { ok: true; data: Buffer; truncated: boolean; contentType?: string; status?: number }
  | { ok: false; error: 'disabled' | 'refused' | 'resolve' | 'connect' | 'timeout' | 'http' | 'rate' | 'too_large' | 'bad_url'; status?: number; detail?: string };

/** What the shell reports to its host (the SSH or Telnet sensor), which turns it into events. */
export interface ShellHooks {
  /** A file the attacker wrote through a redirect, `tee`, `dd of=` or similar. */
  fileWritten?(path: string, data: Buffer, how: string): void;
  /** A fetch on the attacker's behalf; the host applies the fetch policy, quarantines and records it. */
  download?(req: DownloadRequest): Promise<DownloadResult>;
  /** A password set with passwd/chpasswd/useradd. */
  passwordChanged?(user: string, password: string): void;
}

/** One line of input from the attacker's terminal, for commands that prompt (passwd, su, read). */
export type ReadLine = (prompt: string, echo: boolean) => Promise<string | undefined>;

export interface ShellApi {
  readonly profile: SystemProfile;
  readonly vfs: Vfs;
  readonly hooks: ShellHooks;
  readonly env: Map<string, string>;
  readonly history: string[];
  readonly aliases: Map<string, string>;
  cwd: string;
  user: { name: string; uid: number; gid: number; home: string };
  /** The accounts user names resolve against (ls, id, su, chown...): the host's, plus this login's own when the host had none for it. */
  readonly users: readonly FakeUser[];
  /** Milliseconds since the epoch (injected for tests). */
  now(): number;
  /** Absolute path of P from the working directory, with ~ expanded. */
  resolve(p: string): string;
  /** Runs TEXT as shell code (sh -c, scripts, eval, source). */
  runScript(text: string, opts: { name: string; args: string[]; stdin: Buffer; out: Output; err: Output; subshell: boolean }): Promise<number>;
  /**
   * Runs ARGV as a program another one starts (xargs, timeout, nohup, sudo): ARGV[0] looked up in
   * PATH as execvp does (no builtins, no functions), run in the emulation. Undefined when not found.
   */
  runProgram(argv: readonly string[], io: { stdin: Buffer; out: Output; err: Output }): Promise<number | undefined>;
  /** The names of every emulated command. */
  isKnownCommand(name: string): boolean;
  /** Fake process ids handed out for background jobs and `$!`. */
  nextPid(): number;
  /** The emulated command running now: its pid (handed out when it started) and argv. */
  readonly running: { pid: number; name: string; argv: readonly string[] } | undefined;
  /** Processes started in the background (`nohup x &`, `./bot &`), shown by ps. */
  readonly jobs: { pid: number; command: string; startedMs: number }[];
  /** Session-level flags. */
  terminal: { width: number; height: number; interactive: boolean; tty: string; remoteIp: string; /** The client's source port (SSH_CLIENT). */ remotePort?: number; loginMs: number; /** How the attacker came in ('ssh', 'telnet'); ssh when unset. */ via?: string; /** An exec request's command (bash -c's argument). */ command?: string };
  /** Asks the shell to end after this line. */
  requestExit(code: number): void;
  /** Enters a shell inside this one (su USER, sudo -i, an interactive bash) as USER, in its home for a login shell; false past the nesting limit. */
  enterShell(o: { user?: ShellApi['user']; login: boolean }): boolean;
  /** Runs FN as USER (sudo CMD, su -c). */
  runAs<T>(user: ShellApi['user'], fn: () => Promise<T>): Promise<T>;
  /** Whether Ctrl-C was pressed during the current line. */
  readonly interrupted: boolean;
  /** Sleeps, but wakes on Ctrl-C or when a `timeout` around it runs out. */
  sleep(ms: number): Promise<void>;
  /**
   * Runs FN with a time limit, as `timeout` does: sleeps inside end at the deadline and no command
   * starts after it. timedOut when the time ran out.
   */
  withDeadline(ms: number, fn: () => Promise<number>): Promise<{ status: number; timedOut: boolean }>;
}

export type Output = (data: string | Buffer) => void;

export interface CommandContext {
  /** argv[0] as typed (may be a path). */
  name: string;
  /** Run as a program (by path, or started by xargs, timeout...), not as the bash builtin of that name. */
  program: boolean;
  args: string[];
  stdin: Buffer;
  /** True when stdin is the attacker's terminal rather than a pipe, file or here-document. */
  stdinIsTerminal: boolean;
  /** True when stdout is the attacker's terminal (a pty), not a pipe, file, $(...) or an exec channel without a pty. */
  stdoutIsTerminal: boolean;
  out: Output;
  err: Output;
  sh: ShellApi;
  readLine: ReadLine;
}

export interface CommandDef {
  /** The names this command answers to (first is the main one). */
  names: string[];
  run(ctx: CommandContext): Promise<number> | number;
}

/** "cmd: path: strerror" helpers shared by file tools. */
export function fsMessage(cmd: string, path: string, err: string): string {
  return `${cmd}: ${path}: ${err}\n`;
}
