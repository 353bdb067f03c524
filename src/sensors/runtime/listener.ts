// TCP listeners for sensors: connection caps per source and overall, an error boundary per connection,
// idle and total-time limits, connection.open/close for every connection, and graceful shutdown.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Payload } from '../../events/catalogue.js';
import { createSessionEmitter, normaliseIp, type EventSink, type SessionEmitter } from '../../events/emitter.js';
import { listenFailed } from '../../errors/errors.js';
import { parseListenAddress, type ListenAddress } from '../../config/schema.js';
import { sourceKey, SourceCounts } from '../../events/source-key.js';
import { RequestRate } from './request-rate.js';
import { WindowedCounts } from './windowed-counts.js';

/** Seconds' worth of new connections a quiet source may open at once. */
export const CONNECTION_BURST_SECONDS = 10;

type CloseReason = Payload<'connection.close'>['reason'];

/**
 * Bytes a connection may have waiting to be sent (written by the sensor, not yet taken by the kernel)
 * when more input arrives; past it the connection is closed ('policy'). A client that keeps sending
 * and never reads (a stream of CRs at a telnet login prompt, FEAT after FEAT) otherwise grows the
 * queue for as long as it keeps the idle timer reset. A client that reads never gets near it: the
 * kernel's socket buffer takes what it has not read yet.
 */
export const MAX_UNSENT_BYTES = 1024 * 1024;

/**
 * Longest delay a Node timer keeps (2^31-1 ms, about 24.8 days): a longer one fires after 1 ms
 * instead. Delays computed from config (a day's idle time times requests per connection) can pass it.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A config-derived delay a timer can hold: at most MAX_TIMER_DELAY_MS (longer lasts as long as it may). */
export function timerDelay(ms: number): number {
  return Math.min(ms, MAX_TIMER_DELAY_MS);
}

export { LIMITED_SUMMARY_WINDOW_MS } from './windowed-counts.js';

/** Why the gate refused a connection (connection.limited's `limit`). */
export type GateLimit = 'per_source' | 'global' | 'connection_rate';

/**
 * Counts open connections per source (an address, or an IPv6 /64) and overall, and new connections per
 * source per second; shared by every service of one process.
 */
export class ConnectionGate {
  private readonly perSource = new SourceCounts();
  private total = 0;
  private readonly refused: WindowedCounts<{ src: string; limit: GateLimit }>;
  private readonly rate: RequestRate | undefined;

  constructor(
    private readonly maxPerSource: number,
    private readonly maxTotal: number,
    onLimited: (src: string, limit: GateLimit, refused: number, windowMs: number) => void,
    /** New connections one source may open per second (bursts of ten seconds' worth); unlimited when absent. */
    connectionsPerSecond?: number,
  ) {
    this.refused = new WindowedCounts((_key, first, count, windowMs) => onLimited(first.src, first.limit, count, windowMs));
    this.rate =
      connectionsPerSecond === undefined
        ? undefined
        : new RequestRate((src, count, windowMs) => onLimited(src, 'connection_rate', count, windowMs), connectionsPerSecond, connectionsPerSecond * CONNECTION_BURST_SECONDS);
  }

  get open(): number {
    return this.total;
  }

  /** Takes a slot for SRC, or returns false (and counts the refusal) when a cap or the rate is reached. */
  acquire(src: string): boolean {
    const limit = this.total >= this.maxTotal ? 'global' : this.perSource.of(src) >= this.maxPerSource ? 'per_source' : undefined;
    if (limit) {
      this.refused.add(`${limit}|${sourceKey(src)}`, { src, limit });
      return false;
    }
    // Counted by the rate itself (its own summary) when refused.
    if (this.rate && !this.rate.admit(src)) return false;
    this.perSource.add(src);
    this.total++;
    return true;
  }

  release(src: string): void {
    this.perSource.remove(src);
    if (this.total > 0) this.total--;
  }

  /** Emits pending refusal summaries now (at shutdown). */
  flushSummaries(): void {
    this.refused.flush();
    this.rate?.flush();
  }
}

export interface ConnectionContext {
  socket: Socket;
  emitter: SessionEmitter;
  log: Logger;
  /** Ends the connection with a reason recorded on connection.close. */
  close(reason: CloseReason): void;
  /** The reason given to the first close(), once the connection is being closed by the sensor. */
  readonly closeReason?: CloseReason;
  /** Called by the service when it sees activity that should reset the idle timer (defaults to socket data). */
  setIdleTimeout(ms: number): void;
}

export interface TcpServiceOptions {
  name: string;
  protocol: string;
  sensor: string;
  addresses: readonly ListenAddress[];
  sink: EventSink;
  gate: ConnectionGate;
  log: Logger;
  idleTimeoutMs: number;
  sessionTimeoutMs: number;
  /** Sets up the service on an accepted connection. May throw: the error boundary closes only that connection. */
  onConnection(ctx: ConnectionContext): void;
}

export interface RunningService {
  name: string;
  bound: { host: string; port: number }[];
  /** Stops listening, ends open connections (recording their close) and waits for them. */
  close(): Promise<void>;
  readonly openConnections: number;
  /** Whether it answers now (services that can be switched off at run time have it). */
  readonly enabled?: boolean;
  /**
   * Stops answering (closes the listening sockets and the open connections) or listens again on the
   * same addresses; the operator's on/off switch.
   */
  setEnabled?(on: boolean): Promise<void>;
  /** The connection time limits new connections get (seconds). */
  readonly limits?: ConnectionLimits;
  /** Changes the time limits for connections accepted from now on. */
  setLimits?(limits: Partial<ConnectionLimits>): void;
}

export interface ConnectionLimits {
  idle_timeout_s: number;
  session_timeout_s: number;
}

/** What every TCP sensor's config has: where it listens and its connection time limits. */
export interface TcpServiceConfig {
  listen: readonly string[];
  idle_timeout_s: number;
  session_timeout_s: number;
}

/** What every TCP sensor is given to run. */
export interface TcpServiceDeps {
  sensor: string;
  sink: EventSink;
  gate: ConnectionGate;
  log: Logger;
}

/**
 * Longest a connection's `connection.close` waits for the session's held work (a file being stored):
 * as long as a stopping process waits for the quarantine (QUARANTINE_DRAIN_MS).
 */
export const MAX_CLOSE_HOLD_MS = 5000;

/** EMITTER with hold(): each held promise is kept in HELD until it settles. */
function holdingEmitter(held: Set<Promise<unknown>>, emitter: SessionEmitter): SessionEmitter {
  return {
    ...emitter,
    hold(work) {
      held.add(work);
      const settled = (): void => void held.delete(work);
      work.then(settled, settled);
    },
  };
}

/** Resolves once every one of WORK has settled, or after MS, whichever is first; never rejects. */
function settledWithin(work: readonly Promise<unknown>[], ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void Promise.allSettled(work).then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The listener options a sensor NAME gets from its config and deps (protocol = NAME). */
export function tcpServiceOptions(name: string, cfg: TcpServiceConfig, deps: TcpServiceDeps): Omit<TcpServiceOptions, 'onConnection'> {
  return {
    name,
    protocol: name,
    sensor: deps.sensor,
    addresses: cfg.listen.map((a) => parseListenAddress(a) as ListenAddress),
    sink: deps.sink,
    gate: deps.gate,
    log: deps.log.child({ service: name }),
    idleTimeoutMs: cfg.idle_timeout_s * 1000,
    sessionTimeoutMs: cfg.session_timeout_s * 1000,
  };
}

export async function startTcpService(opts: TcpServiceOptions): Promise<RunningService> {
  const live = new Set<{ close(reason: CloseReason): void; done: Promise<void> }>();
  const servers: Server[] = [];
  const bound: { host: string; port: number }[] = [];
  // Mutable: the operator may change them while running (they apply to new connections).
  let idleTimeoutMs = opts.idleTimeoutMs;
  let sessionTimeoutMs = opts.sessionTimeoutMs;

  const accept = (socket: Socket): void => {
    const src = normaliseIp(socket.remoteAddress ?? '0.0.0.0');
    socket.on('error', () => {
      /* attacker-side resets are normal; close is recorded below */
    });
    if (!opts.gate.acquire(src)) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const started = Date.now();
    let reason: CloseReason | undefined;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    // Work whose events belong before this connection's close (SessionEmitter.hold).
    const held = new Set<Promise<unknown>>();
    const emitter = holdingEmitter(held, createSessionEmitter(
      opts.sink,
      {
        sensor: opts.sensor,
        protocol: opts.protocol,
        src_ip: src,
        src_port: socket.remotePort ?? 0,
        dst_ip: socket.localAddress ?? '0.0.0.0',
        dst_port: socket.localPort ?? 0,
      },
      { onInvalid: (type, why) => opts.log.error({ type, why }, 'sensor emitted an invalid event; dropped') },
    ));
    // Made on first use: most connections never log, and a pino child costs a serialisation of its bindings.
    let sessionLog: Logger | undefined;
    const log = (): Logger => (sessionLog ??= opts.log.child({ session: emitter.session }));
    const close = (r: CloseReason): void => {
      reason ??= r;
      socket.destroy();
    };
    const entry = { close, done };
    live.add(entry);
    const sessionTimer = setTimeout(() => close('session_timeout'), timerDelay(sessionTimeoutMs));
    sessionTimer.unref();
    socket.setTimeout(timerDelay(idleTimeoutMs), () => close('idle_timeout'));
    socket.on('data', () => {
      if (socket.writableLength > MAX_UNSENT_BYTES) close('policy');
    });
    socket.once('close', (hadError) => {
      clearTimeout(sessionTimer);
      live.delete(entry);
      opts.gate.release(src);
      const closed = {
        duration_ms: Date.now() - started,
        bytes_in: socket.bytesRead,
        bytes_out: socket.bytesWritten,
        reason: reason ?? (hadError ? 'error' : 'client'),
      } as const;
      const record = (): void => {
        emitter.emit('connection.close', closed);
        resolveDone();
      };
      if (held.size === 0) record();
      else void settledWithin([...held], MAX_CLOSE_HOLD_MS).then(record);
    });
    emitter.emit('connection.open', { transport: 'tcp' });
    try {
      opts.onConnection({
        socket,
        emitter,
        get log() {
          return log();
        },
        close,
        get closeReason() {
          return reason;
        },
        setIdleTimeout: (ms) => socket.setTimeout(timerDelay(ms)),
      });
    } catch (err) {
      log().warn({ err }, 'connection handler failed; closing this connection only');
      close('error');
    }
  };

  for (const addr of opts.addresses) {
    const server = createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
      try {
        accept(socket);
      } catch (err) {
        opts.log.error({ err }, 'accept failed');
        socket.destroy();
      }
    });
    server.on('error', (err) => opts.log.error({ err }, 'listener error'));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => reject(listenFailed(opts.name, `${addr.host}:${addr.port}`, err, `services.${opts.name}.listen`));
      server.once('error', onError);
      server.listen({ host: addr.host, port: addr.port, backlog: 1024 }, () => {
        server.off('error', onError);
        resolve();
      });
    }).catch(async (err) => {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      throw err;
    });
    servers.push(server);
    const a = server.address();
    if (a && typeof a === 'object') bound.push({ host: a.address, port: a.port });
  }

  let enabled = true;
  const listenAgain = (server: Server, addr: { host: string; port: number }): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: addr.host, port: addr.port, backlog: 1024 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  return {
    name: opts.name,
    bound,
    get openConnections() {
      return live.size;
    },
    get enabled() {
      return enabled;
    },
    get limits() {
      return { idle_timeout_s: idleTimeoutMs / 1000, session_timeout_s: sessionTimeoutMs / 1000 };
    },
    setLimits(l: Partial<ConnectionLimits>) {
      if (l.idle_timeout_s !== undefined) idleTimeoutMs = l.idle_timeout_s * 1000;
      if (l.session_timeout_s !== undefined) sessionTimeoutMs = l.session_timeout_s * 1000;
    },
    async setEnabled(on: boolean) {
      if (on === enabled) return;
      enabled = on;
      if (on) {
        await Promise.all(servers.map((s, i) => listenAgain(s, bound[i]!)));
        return;
      }
      await Promise.all(
        servers
          .map((s) => new Promise<void>((r) => s.close(() => r())))
          .concat(
            [...live].map((c) => {
              c.close('shutdown');
              return c.done;
            }),
          ),
      );
    },
    async close() {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))).concat(
        [...live].map((c) => {
          c.close('shutdown');
          return c.done;
        }),
      ));
    },
  };
}
