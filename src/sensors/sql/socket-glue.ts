// Ties a byte-level protocol session (bytes in, bytes out, no socket) to an accepted connection:
// writes, a graceful end that lets the last answer reach the client, a login deadline, an error
// boundary around every chunk, and the switch to TLS a session may ask for mid-stream (MySQL's SSLRequest).
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Socket } from 'node:net';
import { MAX_UNSENT_BYTES, type ConnectionContext } from '../runtime/listener.js';
import { recordTlsFailure } from '../runtime/tls.js';

/** How long a graceful end may wait for the client to take the last bytes. */
export const END_FLUSH_MS = 2000;

/** What a finished TLS handshake negotiated, in OpenSSL's names (as mysqld reports them in Ssl_cipher, Ssl_version). */
export interface TlsInfo {
  cipher: string;
  version: string;
}

export interface SocketIo {
  send(bytes: Buffer): void;
  end(reason: 'client' | 'policy' | 'error'): void;
  /**
   * Present when the service has a certificate: from now on the connection speaks TLS. PENDING is
   * what the client sent after the request to switch (the start of its TLS handshake); SECURED is
   * called once the handshake is done. A failed handshake is recorded and closes the connection.
   */
  startTls?(pending: Buffer, secured: (info: TlsInfo) => void): void;
}

export interface ByteSession {
  receive(chunk: Buffer): void;
  /** True once the client has logged in (the login deadline stops). */
  readonly loggedIn: boolean;
  /** The connection is gone: release what the session holds. */
  dispose(): void;
}

/**
 * Runs the session MAKE builds over CTX's socket; clients that have not logged in by LOGIN_TIMEOUT_MS
 * are dropped (a TLS handshake counts against that deadline, as mysqld's connect_timeout covers it).
 * With SECURE_CONTEXT the session may switch the connection to TLS.
 */
export function attachByteSession<S extends ByteSession>(ctx: ConnectionContext, name: string, loginTimeoutMs: number, make: (io: SocketIo) => S, secureContext?: SecureContext): S {
  const loginTimer = setTimeout(() => ctx.close('login_timeout'), loginTimeoutMs);
  loginTimer.unref();
  // Where bytes go now: the accepted socket, or the TLS socket over it once the client asked for TLS.
  let out: Socket = ctx.socket;
  let ending = false;
  const onData = (chunk: Buffer): void => {
    try {
      session.receive(chunk);
      if (session.loggedIn) clearTimeout(loginTimer);
    } catch (err) {
      ctx.log.warn({ err }, `${name} session failed; closing this connection only`);
      ctx.close('error');
    }
  };
  const startTls = (pending: Buffer, secured: (info: TlsInfo) => void): void => {
    const raw = ctx.socket;
    if (raw.destroyed || out !== raw) return;
    raw.removeListener('data', onData);
    // Bytes read past the request are the client's first TLS record: handed back to the socket, where
    // the TLS layer reads what it holds before reading on.
    raw.pause();
    if (pending.length > 0) raw.unshift(pending);
    const tls = new TLSSocket(raw, { isServer: true, secureContext: secureContext! });
    out = tls;
    tls.on('data', (chunk: Buffer) => {
      // The listener's bound on unsent output watches the accepted socket, which no longer sees the data.
      if (tls.writableLength > MAX_UNSENT_BYTES) return ctx.close('policy');
      onData(chunk);
    });
    tls.once('secure', () => {
      const c = tls.getCipher();
      secured({ cipher: c?.name ?? '', version: tls.getProtocol() ?? '' });
    });
    tls.on('error', (err: NodeJS.ErrnoException) => {
      if (ctx.closeReason !== undefined || raw.destroyed) return;
      recordTlsFailure(ctx, err);
    });
    // A client that ends its side (mid-handshake, or after QUIT) ends the connection.
    tls.once('end', () => {
      if (!ending) ctx.close('client');
    });
  };
  const session = make({
    send: (b) => {
      if (!out.destroyed) out.write(b);
    },
    end: (reason) => {
      clearTimeout(loginTimer);
      ending = true;
      if (out.destroyed) return;
      out.end(() => ctx.close(reason));
      setTimeout(() => ctx.close(reason), END_FLUSH_MS).unref();
    },
    ...(secureContext ? { startTls } : {}),
  });
  ctx.socket.on('data', onData);
  ctx.socket.once('close', () => {
    clearTimeout(loginTimer);
    session.dispose();
  });
  return session;
}
