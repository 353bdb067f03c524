// Ties a byte-level protocol session (bytes in, bytes out, no socket) to an accepted connection:
// writes, a graceful end that lets the last answer reach the client, a login deadline, and an error
// boundary around every chunk.
import type { ConnectionContext } from '../runtime/listener.js';

/** How long a graceful end may wait for the client to take the last bytes. */
export const END_FLUSH_MS = 2000;

export interface SocketIo {
  send(bytes: Buffer): void;
  end(reason: 'client' | 'policy' | 'error'): void;
}

export interface ByteSession {
  receive(chunk: Buffer): void;
  /** True once the client has logged in (the login deadline stops). */
  readonly loggedIn: boolean;
  /** The connection is gone: release what the session holds. */
  dispose(): void;
}

/** Runs the session MAKE builds over CTX's socket; clients that have not logged in by LOGIN_TIMEOUT_MS are dropped. */
export function attachByteSession<S extends ByteSession>(ctx: ConnectionContext, name: string, loginTimeoutMs: number, make: (io: SocketIo) => S): S {
  const loginTimer = setTimeout(() => ctx.close('login_timeout'), loginTimeoutMs);
  loginTimer.unref();
  const session = make({
    send: (b) => {
      if (!ctx.socket.destroyed) ctx.socket.write(b);
    },
    end: (reason) => {
      clearTimeout(loginTimer);
      if (ctx.socket.destroyed) return;
      ctx.socket.end(() => ctx.close(reason));
      setTimeout(() => ctx.close(reason), END_FLUSH_MS).unref();
    },
  });
  ctx.socket.on('data', (chunk: Buffer) => {
    try {
      session.receive(chunk);
      if (session.loggedIn) clearTimeout(loginTimer);
    } catch (err) {
      ctx.log.warn({ err }, `${name} session failed; closing this connection only`);
      ctx.close('error');
    }
  });
  ctx.socket.once('close', () => {
    clearTimeout(loginTimer);
    session.dispose();
  });
  return session;
}
