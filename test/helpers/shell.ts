// Runs the fake shell in-process for tests: an environment in a temp dir, sessions per source address.
import { ShellEnvironment, type ShellEnvironmentOptions } from '../../src/sensors/shell/environment.js';
import { ShellSession } from '../../src/sensors/shell/session.js';
import { createSessionEmitter, type EventSink } from '../../src/events/emitter.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { tempDir } from './apiary-process.js';

export interface TestShell {
  env: ShellEnvironment;
  events: ApiaryEvent[];
  dir: string;
  /** A session from SRC: an SSH exec channel without a pty unless O says otherwise. */
  open(src?: string, o?: { pty?: boolean; protocol?: 'ssh' | 'telnet'; username?: string }): { session: ShellSession; run(cmd: string, stdin?: string): Promise<{ out: string; code: number }>; end(): Promise<void>; /** Starts the interactive shell; returns the banner and first prompt. */ login(): string; /** Sends KEYS as typed; resolves with what came back once the shell has read them. */ type(keys: string | Buffer): Promise<Buffer> };
}

export function testShell(over: Partial<Omit<ShellEnvironmentOptions, 'shell' | 'fetch'>> & { shell?: Partial<ShellEnvironmentOptions['shell']>; fetch?: Partial<ShellEnvironmentOptions['fetch']> } = {}): TestShell {
  const events: ApiaryEvent[] = [];
  const sink: EventSink = { write: (e) => void events.push(e), flush: async () => {} };
  const dir = tempDir('apiary-shell-');
  const env = new ShellEnvironment({
    dataDir: dir,
    sensor: 'test',
    sshVersion: 'OpenSSH_9.2p1 Debian-2+deb12u3',
    sink,
    ...over,
    shell: { quota_bytes: 1 << 20, quota_entries: 500, reset_after_s: 0, max_attackers: 100, ...(over.shell ?? {}) },
    fetch: { enabled: false, max_bytes: 1 << 20, timeout_s: 5, per_source_per_minute: 5, allow_cidrs: [], ...(over.fetch ?? {}) },
    quarantine: over.quarantine ?? { max_file_bytes: 1 << 22, max_total_bytes: 1 << 26 },
    recording: over.recording ?? { enabled: false, max_bytes: 1 << 20, max_total_bytes: 1 << 30 },
  });
  return {
    env,
    events,
    dir,
    open(src = '203.0.113.9', o = {}) {
      const protocol = o.protocol ?? 'ssh';
      const emitter = createSessionEmitter(sink, { sensor: 'test', protocol, src_ip: src, src_port: 40000, dst_ip: '127.0.0.1', dst_port: 22 });
      let out = '';
      let raw: Buffer[] = [];
      const session = new ShellSession({ env, emitter, username: o.username ?? 'root', pty: o.pty ?? false, width: 80, height: 24, protocol, ...(protocol === 'telnet' ? { tty: '/dev/pts/1' } : {}), io: { write: (b) => void ((out += b.toString('utf8')), raw.push(Buffer.from(b))), close: () => {} } });
      return {
        session,
        async run(cmd: string, stdin = '') {
          out = '';
          const code = await session.exec(cmd, Buffer.from(stdin));
          return { out, code };
        },
        end: () => session.end(),
        login() {
          out = '';
          session.start({ motd: true });
          return out;
        },
        async type(keys) {
          raw = [];
          session.feed(typeof keys === 'string' ? Buffer.from(keys) : keys);
          for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
          return Buffer.concat(raw);
        },
      };
    },
  };
}

/** One exec-style session from 203.0.113.9 on a fresh environment seeded SEED, for command tests. */
export async function attackerShell(seed: string, o: { username?: string } = {}): Promise<{ run(cmd: string, stdin?: string): Promise<{ out: string; code: number }>; t: TestShell; end(): Promise<void> }> {
  const t = testShell({ shell: { seed } });
  const s = t.open('203.0.113.9', o);
  return { run: s.run, t, end: s.end };
}
