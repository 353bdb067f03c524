// The SSH sensor: ssh2's server does the protocol; this file records what the client offers and tries
// (version, KEX offer with HASSH, every login attempt, forwarding requests) and applies the auth policy.
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ParsedKey, ServerChannel, Session } from 'ssh2';
import type { SshServiceConfig } from '../../config/schema.js';
import type { Payload } from '../../events/catalogue.js';
import { hexSample } from '../../wire/reader.js';
import type { AuthPolicy } from '../runtime/auth-policy.js';
import { MAX_CREDENTIAL_CHARS } from '../runtime/auth-policy.js';
import { startTcpService, tcpServiceOptions, type TcpServiceDeps, type ConnectionContext, type RunningService } from '../runtime/listener.js';
import { decodeClientHello, hassh, MAX_HELLO_BYTES } from './hello-codec.js';
import type { ShellEnvironment } from '../shell/environment.js';
import { connectionShare, handleSessionChannel, type ConnectionShare } from './session-channel.js';
import { ChannelLimits } from './channel-limits.js';
import { opensshHostKeys } from './host-keys.js';
import { ssh2Patched, ssh2ProtocolPath } from './ssh2-patch.js';

/** Longest command line recorded from an exec request. */
export const MAX_COMMAND_CHARS = 16 * 1024;

export interface SshSensorDeps extends TcpServiceDeps {
  policy: AuthPolicy;
  /** Host keys as signingHostKeys makes them (or key files' bytes). */
  hostKeys: (Buffer | { key: ParsedKey })[];
  /** The fake system; without it, sessions end as soon as they open. */
  shell?: ShellEnvironment;
}

/** Public keys (with their user name) recorded per connection; one event each. */
export const MAX_RECORDED_KEYS = 1024;

/** Bytes of a refused port-forward's payload recorded, and how long we wait for them. */
export const TUNNEL_SAMPLE_BYTES = 64;
export const TUNNEL_SAMPLE_MS = 2000;

type AuthMethod = Payload<'auth.attempt'>['method'];

/**
 * The auth methods Debian's OpenSSH advertises with password logins on: its shipped sshd_config has
 * KbdInteractiveAuthentication no (as the fake system's own /etc/ssh/sshd_config shows). A client
 * that tries keyboard-interactive anyway is still prompted, so its password is not lost.
 */
const ADVERTISED_METHODS: AuthContext['method'][] = ['publickey', 'password'];

/**
 * OpenSSH 9.2's server preference order, keeping what ssh2 implements (it lacks sntrup761 and umac),
 * so the KEXINIT a scanner sees is close to the sshd the banner names.
 */
const OPENSSH_LIKE_ALGORITHMS = {
  kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group16-sha512', 'diffie-hellman-group18-sha512', 'diffie-hellman-group14-sha256'],
  cipher: ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1'],
  compress: ['none', 'zlib@openssh.com'],
} as ssh2.Algorithms;

export async function startSshSensor(cfg: SshServiceConfig, deps: SshSensorDeps): Promise<RunningService> {
  if (!ssh2Patched()) {
    deps.log.warn(
      { code: 'APIARY_SSH_UNPATCHED', file: ssh2ProtocolPath() },
      "APIARY_SSH_UNPATCHED: ssh2 sends its own malformed server-sig-algs list, which one `ssh -v` shows and which names an ssh2 server; run `node scripts/patch-ssh2.mjs` (npm install runs it unless --ignore-scripts)",
    );
  }
  const server = new ssh2.Server({ hostKeys: opensshHostKeys(deps.hostKeys), ident: cfg.version, algorithms: OPENSSH_LIKE_ALGORITHMS });
  // Sockets are accepted by Apiary's own listener (caps, limits, connection events) and handed to ssh2;
  // ssh2 names its per-connection object only on 'connection', so we find ours by its socket.
  const bySocket = new WeakMap<Socket, { ctx: ConnectionContext; grace: NodeJS.Timeout }>();
  server.on('connection', (client: Connection) => {
    const socket = (client as unknown as { _sock: Socket })._sock;
    const found = bySocket.get(socket);
    if (!found) {
      client.end();
      return;
    }
    handleClient(client, found.ctx, found.grace, cfg, deps);
  });
  server.on('error', (err: Error) => deps.log.warn({ err }, 'ssh server error'));

  return startTcpService({
    ...tcpServiceOptions('ssh', cfg, deps),
    onConnection(ctx) {
      splitAfterIdent(ctx.socket);
      tapHello(ctx);
      const grace = setTimeout(() => ctx.close('login_timeout'), cfg.login_grace_s * 1000);
      grace.unref();
      ctx.socket.once('close', () => clearTimeout(grace));
      bySocket.set(ctx.socket, { ctx, grace });
      server.injectSocket(ctx.socket);
    },
  });
}

/**
 * OpenSSH answers a client identification line with its KEXINIT before it reads anything else, so a
 * probe that sends its ident and junk in one segment (Metasploit's detect_kippo: banner + 8 newlines)
 * still gets sshd's KEXINIT before the connection drops. ssh2 parses the whole segment at once and
 * fails before sending; so the first segment is handed over in two turns: up to the ident's newline,
 * then the rest on the next turn of the event loop (later segments wait their turn, keeping order).
 */
function splitAfterIdent(socket: Socket): void {
  const emit = socket.emit.bind(socket) as (ev: string | symbol, ...args: unknown[]) => boolean;
  let state: 'first' | 'holding' | 'done' = 'first';
  const held: unknown[][] = [];
  socket.emit = ((ev: string | symbol, ...args: unknown[]): boolean => {
    if (state === 'done' || (ev !== 'data' && !(state === 'holding' && ev === 'end'))) return emit(ev, ...args);
    if (state === 'holding') {
      held.push([ev, ...args]);
      return true;
    }
    const chunk = args[0];
    if (!Buffer.isBuffer(chunk)) return emit(ev, ...args);
    const nl = chunk.indexOf(0x0a);
    if (nl < 0 || nl === chunk.length - 1 || !chunk.subarray(0, 4).equals(Buffer.from('SSH-'))) {
      if (nl >= 0) state = 'done';
      return emit(ev, ...args);
    }
    state = 'holding';
    emit('data', chunk.subarray(0, nl + 1));
    setImmediate(() => {
      state = 'done';
      if (!socket.destroyed) emit('data', chunk.subarray(nl + 1));
      for (const h of held.splice(0)) if (!socket.destroyed) emit(h[0] as string, ...h.slice(1));
    });
    return true;
  }) as typeof socket.emit;
}

/** Reads the client's identification and KEXINIT off the socket beside ssh2, then stops listening. */
function tapHello(ctx: ConnectionContext): void {
  let buf: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const r = decodeClientHello(buf);
    if (r.status === 'incomplete' && buf.length < MAX_HELLO_BYTES) return;
    ctx.socket.off('data', onData);
    const ident = r.ident;
    if (ident) ctx.emitter.emit('client.version', { version: ident.raw, ...(ident.comments !== undefined ? { comments: ident.comments } : {}) });
    if (r.status === 'ok') {
      const h = hassh(r.kexinit);
      ctx.emitter.emit('client.kex', {
        hassh: h.hassh,
        hassh_algorithms: h.algorithms,
        kex_algs: r.kexinit.kex_algs,
        key_algs: r.kexinit.key_algs,
        enc_cs: r.kexinit.enc_cs,
        mac_cs: r.kexinit.mac_cs,
        comp_cs: r.kexinit.comp_cs,
      });
    } else {
      const reason = r.status === 'malformed' ? r.reason : 'hello larger than limit';
      ctx.emitter.emit('protocol.malformed', { reason, sample_hex: hexSample(buf) });
      // ssh2 ends the connection on a bad ident itself; a bad KEXINIT after a good ident we end here.
      if (ident) ctx.close('policy');
    }
    buf = Buffer.alloc(0);
  };
  ctx.socket.on('data', onData);
}

function clip(s: string, max = MAX_CREDENTIAL_CHARS): string {
  return s.length > max ? s.slice(0, max) : s;
}

function keyFingerprint(data: Buffer): string {
  return `SHA256:${createHash('sha256').update(data).digest('base64').replace(/=+$/, '')}`;
}

function handleClient(client: Connection, ctx: ConnectionContext, grace: NodeJS.Timeout, cfg: SshServiceConfig, deps: SshSensorDeps): void {
  let attempts = 0;
  let loggedInAs = 'root';
  let share: ConnectionShare | undefined;
  const channels = new ChannelLimits();
  const seenKeys = new Set<string>();
  const guard =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
      } catch (err) {
        ctx.log.warn({ err }, 'ssh handler failed; closing this connection only');
        ctx.close('error');
      }
    };

  client.on('error', (err: Error & { level?: string }) => {
    ctx.log.debug({ err: err.message, level: err.level }, 'ssh client error');
    if (err.level === 'protocol' || err.level === 'handshake') {
      ctx.emitter.emit('protocol.malformed', { reason: clip(err.message, 200), sample_hex: '' });
    }
  });

  const decide = (actx: AuthContext, method: AuthMethod, username: string, password: string): void => {
    const success = deps.policy.allows(username, password) || (deps.shell?.acceptsChangedPassword(ctx.emitter.identity.src_ip, username, password) ?? false);
    if (success) loggedInAs = username;
    ctx.emitter.emit('auth.attempt', { method, username: clip(username), password: clip(password), success });
    respond(actx, success);
  };

  /** A failed attempt's answer: the methods again, or the end once max_auth_tries attempts were made. */
  const refuse = (actx: AuthContext): void => {
    if (ctx.socket.destroyed) return;
    if (attempts >= cfg.max_auth_tries) {
      // sshd: "Too many authentication failures" then disconnect.
      ctx.close('policy');
      return;
    }
    try {
      actx.reject(ADVERTISED_METHODS);
    } catch {
      ctx.close('error');
    }
  };

  const respond = (actx: AuthContext, success: boolean): void => {
    if (success) {
      clearTimeout(grace);
      actx.accept();
      return;
    }
    if (cfg.failure_delay_ms > 0) setTimeout(() => refuse(actx), cfg.failure_delay_ms).unref();
    else refuse(actx);
  };

  client.on(
    'authentication',
    guard((actx: AuthContext) => {
      const username = actx.username;
      switch (actx.method) {
        case 'password':
          attempts++;
          decide(actx, 'password', username, actx.password);
          return;
        case 'keyboard-interactive':
          attempts++;
          actx.prompt([{ prompt: 'Password: ', echo: false }], guard((answers: string[]) => decide(actx, 'keyboard-interactive', username, answers[0] ?? '')));
          return;
        case 'publickey': {
          const fp = keyFingerprint(actx.key.data);
          // A client asks "would you take this key?" before signing; one event per key and user. Every
          // query counts against max_auth_tries, as sshd counts it ("Too many authentication failures"
          // with many keys in an agent): uncounted, a client could send keys for as long as the login
          // grace lasted, each one kept.
          attempts++;
          const seen = `${clip(username)}\0${fp}`;
          if (!seenKeys.has(seen) && seenKeys.size < MAX_RECORDED_KEYS) {
            seenKeys.add(seen);
            ctx.emitter.emit('auth.attempt', { method: 'publickey', username: clip(username), key_type: clip(actx.key.algo, 64), key_fingerprint: fp, success: false });
          }
          // A key query gets its answer at once (no failure delay), as from sshd.
          refuse(actx);
          return;
        }
        case 'none':
          // The method query every OpenSSH client opens with; not an attempt.
          actx.reject(ADVERTISED_METHODS);
          return;
        default:
          attempts++;
          ctx.emitter.emit('auth.attempt', { method: 'hostbased', username: clip(username), success: false });
          respond(actx, false);
      }
    }),
  );

  client.on(
    'ready',
    guard(() => {
      ctx.setIdleTimeout(cfg.idle_timeout_s * 1000);
      // Output the client's windows leave waiting counts against the limit a TCP connection has: a
      // client that keeps sending while it reads nothing is closed.
      ctx.socket.on('data', () => {
        if (channels.overflowing()) ctx.close('policy');
      });
      client.on(
        'session',
        guard((accept: () => Session, reject: () => void) => {
          if (!channels.take()) {
            reject();
            return;
          }
          const session = accept();
          session.once('close', () => channels.release());
          const refused = channels.refusal(session);
          if (refused) {
            ctx.emitter.emit('protocol.malformed', { reason: refused, sample_hex: '' });
            ctx.close('policy');
            return;
          }
          if (deps.shell) {
            share ??= connectionShare(ctx, channels);
            handleSessionChannel(session, ctx, deps.shell, loggedInAs, guard, MAX_COMMAND_CHARS, share);
            return;
          }
          session.on('pty', (acceptPty) => acceptPty?.());
          session.on('env', (acceptEnv) => acceptEnv?.());
          session.on(
            'exec',
            guard((acceptExec: () => ServerChannel, _reject: unknown, info: { command: string }) => {
              ctx.emitter.emit('command.input', { input: clip(info.command, MAX_COMMAND_CHARS) });
              const ch = acceptExec();
              ch.exit(0);
              ch.end();
            }),
          );
          session.on(
            'shell',
            guard((acceptShell: () => ServerChannel) => {
              const ch = acceptShell();
              ch.exit(0);
              ch.end();
            }),
          );
          session.on('subsystem', (_a, rejectSub) => rejectSub?.());
        }),
      );
    }),
  );

  client.on(
    'tcpip',
    guard((accept: () => ServerChannel, reject: () => void, info: { srcIP: string; srcPort: number; destIP: string; destPort: number }) => {
      const base = {
        target_host: clip(info.destIP, 255),
        target_port: info.destPort & 0xffff,
        orig_ip: clip(info.srcIP, 64),
        orig_port: info.srcPort & 0xffff,
      };
      if (!deps.shell || !channels.take()) {
        ctx.emitter.emit('tunnel.request', base);
        reject();
        return;
      }
      // Take the channel long enough to see what the client meant to send through it (an HTTP
      // request, a TLS hello, SMTP...), then close it as if the far end refused.
      const ch = accept();
      ch.once('close', () => channels.release());
      let sample: Buffer = Buffer.alloc(0);
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        ctx.emitter.emit('tunnel.request', { ...base, ...(sample.length ? { first_bytes_hex: sample.subarray(0, TUNNEL_SAMPLE_BYTES).toString('hex') } : {}) });
        ch.destroy();
      };
      const timer = setTimeout(finish, TUNNEL_SAMPLE_MS);
      ch.on('data', (d: Buffer) => {
        sample = Buffer.concat([sample, d.subarray(0, TUNNEL_SAMPLE_BYTES)]);
        if (sample.length >= TUNNEL_SAMPLE_BYTES) finish();
      });
      ch.on('close', finish);
      ch.on('error', finish);
    }),
  );
  client.on(
    'request',
    guard((accept: unknown, reject: (() => void) | undefined) => reject?.()),
  );
}
