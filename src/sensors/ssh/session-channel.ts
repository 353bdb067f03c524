// What an SSH session channel does after login: pty and env requests are recorded, `shell` gets
// the fake shell, `exec` runs one command (or the legacy SCP sink), `sftp` gets the SFTP server.
// Uploads go to the attacker's filesystem and to quarantine with file.upload events.
import type { ServerChannel, Session } from 'ssh2';
import type { ConnectionContext } from '../runtime/listener.js';
import type { ShellEnvironment } from '../shell/environment.js';
import { connectionRecorder, ShellSession } from '../shell/session.js';
import type { AsciicastRecorder } from '../runtime/recording.js';
import { ScpSink } from './scp-sink.js';
import { serveSftp } from './sftp-server.js';
import { setOwn } from '../../wire/own-property.js';
import type { ChannelLimits } from './channel-limits.js';

/** Bytes of stdin an exec command collects before it runs. */
export const MAX_EXEC_STDIN = 8 * 1024 * 1024;
/** How long an exec waits for more stdin (or EOF) before running with what it has. */
export const EXEC_STDIN_IDLE_MS = 300;
/** Environment variables recorded per session. */
export const MAX_ENV_VARS = 64;

interface Guard {
  <A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
}

/** What the session channels of one SSH connection share: its one recording, and its channel limits. */
export interface ConnectionShare {
  recorder?: AsciicastRecorder | undefined;
  /** Where the channels that write to the client are watched for output the client does not read. */
  channels?: ChannelLimits | undefined;
}

/** Makes the per-connection share, closing its recording when the connection ends. */
export function connectionShare(ctx: ConnectionContext, channels?: ChannelLimits): ConnectionShare {
  const share: ConnectionShare = { channels };
  ctx.socket.once('close', () => void share.recorder?.close());
  return share;
}

export function handleSessionChannel(session: Session, ctx: ConnectionContext, env: ShellEnvironment, username: string, guard: Guard, maxCommandChars: number, share: ConnectionShare = {}): void {
  let pty: { width: number; height: number; term: string } | undefined;
  const clientEnv: Record<string, string> = {};
  let envCount = 0;
  let shell: ShellSession | undefined;
  let ended = false;

  /** Counts what CH holds for the client against the connection's limit while CH is open. */
  const watch = (ch: ServerChannel | import('ssh2').SFTPWrapper): void => {
    share.channels?.watch(ch);
    ch.once('close', () => share.channels?.forget(ch));
  };
  const makeShell = (ch: ServerChannel, withPty: boolean): ShellSession => {
    share.recorder ??= connectionRecorder(env, ctx.emitter, pty?.width ?? 80, pty?.height ?? 24, `ssh ${username}@${env.profile.hostname} from ${ctx.emitter.identity.src_ip}`, pty?.term);
    const s = new ShellSession({
      ...(share.recorder ? { recorder: share.recorder } : {}),
      env,
      emitter: ctx.emitter,
      username,
      pty: withPty,
      width: pty?.width ?? 80,
      height: pty?.height ?? 24,
      ...(pty ? { term: pty.term } : {}),
      clientEnv,
      protocol: 'ssh',
      io: {
        write: (b) => {
          if (!ch.destroyed && ch.writable) ch.write(b);
        },
        close: (code) => {
          if (ch.destroyed) return;
          ch.exit(code);
          ch.end();
        },
      },
    });
    shell = s;
    watch(ch);
    ch.on('close', () => void finish());
    return s;
  };
  const finish = async (): Promise<void> => {
    if (ended || !shell) return;
    ended = true;
    await shell.end();
  };
  ctx.socket.once('close', () => void finish());

  session.on(
    'pty',
    guard((accept: (() => void) | undefined, _r: unknown, info: { cols: number; rows: number; term: string }) => {
      pty = { width: clamp(info.cols), height: clamp(info.rows), term: String(info.term ?? '').slice(0, 64) };
      ctx.emitter.emit('client.size', { width: pty.width, height: pty.height, ...(pty.term ? { term: pty.term } : {}) });
      accept?.();
    }),
  );
  session.on(
    'window-change',
    guard((accept: (() => void) | undefined, _r: unknown, info: { cols: number; rows: number }) => {
      const w = clamp(info.cols);
      const h = clamp(info.rows);
      ctx.emitter.emit('client.size', { width: w, height: h });
      shell?.resize(w, h);
      accept?.();
    }),
  );
  session.on(
    'env',
    guard((accept: (() => void) | undefined, _r: unknown, info: { key: string; val: string }) => {
      if (envCount++ < MAX_ENV_VARS) {
        const name = String(info.key).slice(0, 256);
        const value = String(info.val).slice(0, 4096);
        ctx.emitter.emit('client.env', { name, value });
        setOwn(clientEnv, name, value);
      }
      accept?.();
    }),
  );
  session.on(
    'shell',
    guard((accept: () => ServerChannel) => {
      const ch = accept();
      const s = makeShell(ch, pty !== undefined);
      ch.on('data', (d: Buffer) => s.feed(d));
      ch.on('end', () => {
        // EOF from a client without a terminal: bash runs what it read, then exits.
        if (!pty) setTimeout(() => s.feed(Buffer.from([0x04])), 50);
      });
      s.start({ motd: pty !== undefined });
    }),
  );
  session.on(
    'exec',
    guard((accept: () => ServerChannel, _r: unknown, info: { command: string }) => {
      const command = String(info.command).slice(0, maxCommandChars);
      const ch = accept();
      const s = makeShell(ch, pty !== undefined);
      if (/^\s*scp(\s+-[a-zA-Z]+)*\s+-[a-zA-Z]*t/.test(command)) {
        ctx.emitter.emit('command.input', { input: command, known: true });
        runScpSink(ch, s, ctx, env, command);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let started = false;
      let timer: NodeJS.Timeout | undefined;
      const go = (): void => {
        if (started) return;
        started = true;
        if (timer) clearTimeout(timer);
        void s.exec(command, Buffer.concat(chunks)).then((code) => {
          if (ch.destroyed) return;
          ch.exit(code);
          ch.end();
        });
      };
      const arm = (): void => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(go, EXEC_STDIN_IDLE_MS);
      };
      ch.on('data', (d: Buffer) => {
        if (started) return;
        if (size < MAX_EXEC_STDIN) {
          chunks.push(d.subarray(0, MAX_EXEC_STDIN - size));
          size += d.length;
        }
        arm();
      });
      ch.on('end', go);
      arm();
    }),
  );
  session.on(
    'sftp',
    guard((accept: () => import('ssh2').SFTPWrapper) => {
      const sftp = accept();
      watch(sftp);
      // SFTP needs the attacker's filesystem view, but no terminal.
      // SFTP is not a terminal: nothing to record.
      const s = new ShellSession({ env, emitter: ctx.emitter, username, pty: false, width: 80, height: 24, protocol: 'sftp', record: false, io: { write: () => {}, close: () => {} } });
      shell = s;
      sftp.on('close', () => void finish());
      // The client's EOF ends the subsystem: sftp-server exits with status 0, which OpenSSH's scp checks.
      sftp.on('end', () => {
        const raw = sftp as unknown as { _protocol?: { exitStatus?(chan: number, status: number): void; channelEOF?(chan: number): void }; outgoing?: { id: number; state: string } };
        try {
          if (raw.outgoing?.state === 'open') {
            raw._protocol?.exitStatus?.(raw.outgoing.id, 0);
            raw._protocol?.channelEOF?.(raw.outgoing.id);
          }
        } catch {
          /* the channel is already gone */
        }
        sftp.end();
      });
      const upload = uploader(ctx, env);
      serveSftp(sftp, s, (u) => upload(u.path, u.data, u.truncated));
    }),
  );
  session.on('subsystem', (_a: unknown, reject: (() => void) | undefined) => reject?.());
}

function clamp(n: unknown): number {
  const v = Number(n);
  return Number.isFinite(v) ? Math.max(0, Math.min(65535, Math.floor(v))) : 0;
}

export type Upload = (path: string, data: Buffer, truncated: boolean) => void;

/**
 * Quarantines a channel's uploads, each recorded as `file.upload` once it is stored: in the order the
 * client sent them, also when the channel has closed meanwhile. Each store starts at once, so only the
 * quarantine holds an upload's bytes, within its bound on stores in progress; what waits for the
 * uploads before is the event alone (SFTP answers CLOSE at once, so a client may send uploads faster
 * than the disk takes them).
 */
export function uploader(ctx: Pick<ConnectionContext, 'emitter' | 'log'>, env: Pick<ShellEnvironment, 'quarantine'>): Upload {
  let last = Promise.resolve();
  return (path, data, truncated) => {
    const stored = env.quarantine.store(data, ctx.emitter.identity.src_ip);
    // store() never rejects; were it to, the chain below reports it, and it must not count as unhandled meanwhile.
    stored.catch(() => undefined);
    const filename = path.slice(0, 4096);
    last = last
      .then(async () => {
        const q = await stored;
        ctx.emitter.emit('file.upload', {
          filename,
          sha256: q.sha256,
          size: q.size,
          outcome: !q.stored ? 'refused' : truncated || q.truncated ? 'truncated' : q.duplicate ? 'duplicate' : 'stored',
        });
      })
      .catch((err: unknown) => ctx.log.error({ err }, 'recording an upload failed'));
    // The connection's close waits for the event.
    ctx.emitter.hold?.(last);
  };
}

function runScpSink(ch: ServerChannel, s: ShellSession, ctx: ConnectionContext, env: ShellEnvironment, command: string): void {
  const upload = uploader(ctx, env);
  const target = command.trim().split(/\s+/).filter((a) => !a.startsWith('-')).slice(1).join(' ') || '.';
  const vfs = s.shell.vfs;
  const base = vfs.resolve(s.shell.cwd, target);
  const sink = new ScpSink(env.quarantine.opts.maxFileBytes);
  const targetIsDir = vfs.isDir(base);
  ch.write(Buffer.from([0]));
  ch.on('data', (d: Buffer) => {
    for (const ev of sink.feed(d)) {
      if (ev.kind === 'ack') ch.write(Buffer.from([0]));
      else if (ev.kind === 'file') {
        const path = targetIsDir ? `${base === '/' ? '' : base}/${ev.file.name}` : base;
        const parent = path.slice(0, path.lastIndexOf('/')) || '/';
        vfs.mkdir(parent, true);
        vfs.writeFile(path, ev.file.data, { mode: ev.file.mode & 0o777 });
        upload(path, ev.file.data, ev.file.truncated);
      } else {
        ch.write(Buffer.from(`\x01scp: ${ev.reason}\n`));
        ch.exit(1);
        ch.end();
      }
    }
  });
  ch.on('end', () => {
    if (ch.destroyed) return;
    ch.exit(0);
    ch.end();
  });
}
