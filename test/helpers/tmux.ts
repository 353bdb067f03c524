// Drives an interactive program (ssh, telnet) in a real pseudo-terminal through tmux.
import { execFileSync } from 'node:child_process';

export class TmuxSession {
  readonly name: string;
  constructor(command: string, opts: { width?: number; height?: number } = {}) {
    this.name = `apiary-test-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
    execFileSync('tmux', ['new-session', '-d', '-s', this.name, '-x', String(opts.width ?? 120), '-y', String(opts.height ?? 40), command]);
    // Keep the pane after the program exits, so its last screen can still be read.
    execFileSync('tmux', ['set-option', '-t', this.name, 'remain-on-exit', 'on']);
  }

  /** The pane's text, with its scrollback. */
  screen(): string {
    try {
      return execFileSync('tmux', ['capture-pane', '-p', '-J', '-S', '-2000', '-t', this.name], { encoding: 'utf8' });
    } catch {
      return '';
    }
  }

  type(text: string): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, '-l', text]);
  }

  key(...keys: string[]): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, ...keys]);
  }

  /** Types LINE and Enter, then waits until PATTERN matches the screen. */
  async line(line: string, until: RegExp | ((s: string) => boolean), timeoutMs = 15_000): Promise<string> {
    this.type(line);
    this.key('Enter');
    return this.waitFor(until, timeoutMs);
  }

  async waitFor(until: RegExp | ((s: string) => boolean), timeoutMs = 15_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    let s = '';
    while (Date.now() < end) {
      s = this.screen();
      if (typeof until === 'function' ? until(s) : until.test(s)) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`screen did not match ${String(until)} in time:\n${s}`);
  }

  paneDead(): boolean {
    try {
      return execFileSync('tmux', ['display-message', '-p', '-t', this.name, '#{pane_dead}'], { encoding: 'utf8' }).trim() === '1';
    } catch {
      return true;
    }
  }

  kill(): void {
    try {
      execFileSync('tmux', ['kill-session', '-t', this.name]);
    } catch {
      /* already gone */
    }
  }
}

/** Counts the prompts on SCREEN (to wait for "the next prompt"). */
export function countMatches(screen: string, re: RegExp): number {
  return [...screen.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`))].length;
}
