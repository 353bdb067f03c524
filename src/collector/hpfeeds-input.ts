// An hpfeeds broker endpoint for the honeypots a team already runs: Cowrie's `hpfeeds3` output and
// Dionaea's `hpfeeds` handler publish to it as they would to MHN's broker, and what they publish becomes
// Apiary events in the collector (or, under `apiary sensor`, in the spool). Each feed authenticates
// with its ident and secret (SHA-1 of the broker's nonce and the secret, compared in constant time),
// may publish only as itself and only on its channels, and cannot subscribe: Apiary keeps events,
// it does not relay them. Plain TCP, or TLS with the operator's certificate.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { ListenAddress } from '../config/schema.js';
import { listenFailed } from '../errors/errors.js';
import type { EventSink } from '../events/emitter.js';
import { sourceKey, SourceCounts } from '../events/source-key.js';
import { makeRoom } from '../wire/bounded.js';
import { HpfeedsMapper, IGNORED_CHANNELS } from '../importers/hpfeeds/hpfeeds-records.js';
import { saveRecording } from '../importers/kippo/recordings.js';
import { authDigest, encodeError, encodeInfo, HpfeedsDecoder, MAX_MESSAGE_BYTES, NONCE_BYTES, OP_AUTH, OP_PUBLISH, OP_SUBSCRIBE, OP_UNSUBSCRIBE, type HpfeedsMessage } from '../wire/hpfeeds.js';
import { validateRemoteEvent } from './remote-event.js';

/** How long a new connection may take to authenticate (TLS handshake included). */
export const AUTH_TIMEOUT_MS = 10_000;
/** How long a refused peer has to read the ERROR before its connection is cut. */
export const REFUSED_LINGER_MS = 1000;
/** Distinct reasons for dropped messages kept in the input's counters (others are counted as "other"). */
export const MAX_DROP_REASONS = 32;
/** Connections one source (an IPv4 address, an IPv6 /64) may have open before they authenticate. */
export const MAX_UNAUTHENTICATED_PER_SOURCE = 4;
/** Replies a peer may leave unread before its connection is closed. */
export const MAX_UNREAD_REPLY_BYTES = 64 * 1024;
/**
 * Events waiting to be stored past which the feeds' connections stop being read, until the backlog
 * is down to half: hpfeeds has no flow control of its own, so TCP's is used (a publisher's writes
 * then wait in its own buffers).
 */
export const MAX_BACKLOG_EVENTS = 50_000;
/** How often a paused input looks at the backlog again. */
export const BACKLOG_CHECK_MS = 100;
/** Failed logins logged per minute; the rest are counted in the next line. */
export const MAX_AUTH_FAILURE_LOGS_PER_MINUTE = 10;

export interface HpfeedsFeed {
  ident: string;
  secret: string;
  /** The sensor name its events are stored under. */
  sensor: string;
  /** Channels it may publish on. */
  channels: readonly string[];
}

export interface HpfeedsInputOptions {
  addresses: readonly ListenAddress[];
  /** The broker name sent in INFO. */
  name: string;
  feeds: readonly HpfeedsFeed[];
  /** PEM certificate and key: TLS instead of plain TCP. */
  tls?: { cert: Buffer; key: Buffer };
  /** Open connections at most; half of them at most not yet authenticated, so feeds always find room. */
  maxConnections: number;
  sink: EventSink;
  log: Logger;
  /**
   * Where Cowrie's TTY logs become replayable recordings (DATA_DIR/recordings), the largest TTY log
   * kept and recording written (config `recording.max_bytes`), and the space all recordings there may
   * take (`recording.max_total_bytes`); absent: not kept.
   */
  recordings?: { dir: string; maxBytes: number; space: { take(bytes: number): boolean } };
  /** Events written to the sink and not yet stored (the collector's queue); reading pauses past MAX_BACKLOG_EVENTS. */
  backlog?: () => number;
  now?: () => number;
}

export interface HpfeedsInputStats {
  connections: number;
  authFailures: number;
  messages: number;
  events: number;
  /** Events past the per-message cap. */
  cut: number;
  dropped: Map<string, number>;
}

/** A running input; it has the shape of a sensor's RunningService, so the CLI lists and closes it with them. */
export interface RunningHpfeedsInput {
  name: string;
  bound: { host: string; port: number }[];
  close(): Promise<void>;
  readonly openConnections: number;
  readonly stats: HpfeedsInputStats;
}


/** A feed's authenticated connections at most; a further login closes its oldest (a publisher that reconnected). */
export const MAX_CONNECTIONS_PER_IDENT = 4;
/** TCP keep-alive probes after this long idle: a publisher's half-open connection (its host gone) is found and closed. */
export const KEEPALIVE_MS = 60_000;

/**
 * Failed AUTHs one source (address, or /64) may make for one ident in AUTH_FAILURE_WINDOW_MS; past
 * them every AUTH it makes for that ident fails, right secret or not, until the window ends.
 * Unlimited, one address guessed 3,300 secrets a second and found a 3-character one in 10 s (a feed's
 * ident is often a guessable honeypot name). Counted per ident too, so a misconfigured feed behind a
 * NAT does not lock out the other feeds there.
 */
export const MAX_AUTH_FAILURES_PER_SOURCE = 10;
export const AUTH_FAILURE_WINDOW_MS = 60_000;
/** Sources and idents whose failures are remembered (the oldest forgotten first). */
export const MAX_FAILING_SOURCES = 10_000;

/** An admitted connection: when its time to authenticate ends, and how it stops counting as unauthenticated. */
interface Admitted {
  deadlineAt: number;
  authenticated(): void;
  /** Counts a failed AUTH for IDENT against the connection's source. */
  failed(ident: string): void;
  /** Whether the connection's source failed too often for IDENT to be let in now. */
  locked(ident: string): boolean;
}

/**
 * Admission of raw connections: the global cap, and those not yet authenticated, per source and
 * overall. When the overall share of unauthenticated connections is full, the oldest of them is
 * closed to make room: a publisher logs in within a round trip, connections that never do are the
 * old ones, so a few addresses holding idle connections cannot keep the honeypots out.
 */
class Admission {
  private readonly perSource = new SourceCounts();
  /** Failed AUTHs per source and ident in the current window (since: its start). */
  private readonly failures = new Map<string, { since: number; count: number }>();
  /** Unauthenticated sockets, oldest first. */
  private readonly waiting = new Set<Socket>();
  readonly open = new Set<Socket>();

  constructor(private readonly maxConnections: number, private readonly now: () => number) {}

  /** Admits SOCKET (unauthenticated until `authenticated`), or destroys it. */
  admit(socket: Socket): Admitted | undefined {
    const address = socket.remoteAddress ?? '?';
    if (this.perSource.of(address) >= MAX_UNAUTHENTICATED_PER_SOURCE) return void socket.destroy();
    if (this.waiting.size >= Math.max(1, this.maxConnections >> 1)) this.waiting.values().next().value?.destroy();
    if (this.open.size >= this.maxConnections) return void socket.destroy();
    socket.setKeepAlive(true, KEEPALIVE_MS);
    this.open.add(socket);
    this.waiting.add(socket);
    this.perSource.add(address);
    let counted = true;
    const authenticated = (): void => {
      if (!counted) return;
      counted = false;
      this.waiting.delete(socket);
      this.perSource.remove(address);
    };
    // The time to authenticate counts from here, TLS handshake included; past it (and the linger of
    // the ERROR the connection gets), an unauthenticated connection is cut whatever stage it is in.
    const deadlineAt = this.now() + AUTH_TIMEOUT_MS;
    const cut = setTimeout(() => counted && socket.destroy(), AUTH_TIMEOUT_MS + REFUSED_LINGER_MS);
    cut.unref();
    socket.once('close', () => {
      clearTimeout(cut);
      this.open.delete(socket);
      authenticated();
    });
    const of = (ident: string): string => `${sourceKey(address)}\u0000${ident.slice(0, 256)}`;
    return { deadlineAt, authenticated, failed: (ident) => this.failed(of(ident)), locked: (ident) => this.locked(of(ident)) };
  }

  private failed(key: string): void {
    const t = this.now();
    const f = this.failures.get(key);
    if (f && t - f.since < AUTH_FAILURE_WINDOW_MS) f.count++;
    else {
      this.failures.delete(key);
      makeRoom(this.failures, MAX_FAILING_SOURCES);
      this.failures.set(key, { since: t, count: 1 });
    }
  }

  private locked(key: string): boolean {
    const f = this.failures.get(key);
    if (!f) return false;
    if (this.now() - f.since >= AUTH_FAILURE_WINDOW_MS) {
      this.failures.delete(key);
      return false;
    }
    return f.count >= MAX_AUTH_FAILURES_PER_SOURCE;
  }
}

export async function startHpfeedsInput(opts: HpfeedsInputOptions): Promise<RunningHpfeedsInput> {
  const byIdent = new Map(opts.feeds.map((f) => [f.ident, f]));
  const rec = opts.recordings;
  const mapper = rec ? new HpfeedsMapper((session, ttylog, title) => saveRecording(rec.dir, session, ttylog, title, { maxChars: rec.maxBytes, space: rec.space }), rec.maxBytes) : new HpfeedsMapper();
  const now = opts.now ?? Date.now;
  const stats: HpfeedsInputStats = { connections: 0, authFailures: 0, messages: 0, events: 0, cut: 0, dropped: new Map() };
  const admission = new Admission(opts.maxConnections, now);
  /** Each feed's authenticated connections, oldest first. */
  const byFeed = new Map<string, Set<Socket>>();
  /** Numbers each message, so that two identical Dionaea messages in one millisecond stay two events. */
  let messageNo = 0;
  // An unknown ident is checked against this, so it takes as long as a wrong secret.
  const decoySecret = randomBytes(16).toString('hex');
  let authLogs = { minute: 0, logged: 0, suppressed: 0 };
  const drop = (reason: string): void => {
    const key = stats.dropped.has(reason) || stats.dropped.size < MAX_DROP_REASONS ? reason : 'other';
    stats.dropped.set(key, (stats.dropped.get(key) ?? 0) + 1);
  };
  const logAuthFailure = (peer: string, ident: string): void => {
    const minute = Math.floor(now() / 60_000);
    if (minute !== authLogs.minute) authLogs = { minute, logged: 0, suppressed: authLogs.suppressed };
    if (authLogs.logged >= MAX_AUTH_FAILURE_LOGS_PER_MINUTE) {
      authLogs.suppressed++;
      return;
    }
    authLogs.logged++;
    opts.log.warn({ peer, ident: ident.slice(0, 64), ...(authLogs.suppressed ? { not_logged_before: authLogs.suppressed } : {}) }, 'hpfeeds authentication failed');
    authLogs.suppressed = 0;
  };

  /** Connections paused for the backlog, and the timer that resumes them. */
  const paused = new Set<Socket>();
  let resumeTimer: NodeJS.Timeout | undefined;
  const pauseForBacklog = (socket: Socket): void => {
    if (!opts.backlog || opts.backlog() <= MAX_BACKLOG_EVENTS) return;
    socket.pause();
    paused.add(socket);
    resumeTimer ??= setInterval(() => {
      if (opts.backlog!() > MAX_BACKLOG_EVENTS / 2) return;
      for (const s of paused) s.resume();
      paused.clear();
      clearInterval(resumeTimer);
      resumeTimer = undefined;
    }, BACKLOG_CHECK_MS);
    resumeTimer.unref();
  };

  const serve = (socket: Socket, admitted: Admitted): void => {
    stats.connections++;
    socket.on('error', () => {});
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    const nonce = randomBytes(NONCE_BYTES);
    const decoder = new HpfeedsDecoder();
    // Until AUTH, nothing bigger than an AUTH is buffered.
    decoder.cap = MAX_MESSAGE_BYTES[OP_AUTH];
    let feed: HpfeedsFeed | undefined;
    let ending = false;
    /** Sends an hpfeeds ERROR and closes the connection, as the reference broker does; a peer that does not close its side is cut. */
    const refuse = (message: string): void => {
      if (socket.destroyed || ending) return;
      ending = true;
      clearTimeout(deadline);
      if (socket.writableLength > MAX_UNREAD_REPLY_BYTES) return void socket.destroy();
      socket.end(encodeError(message));
      setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
    };
    const deadline = setTimeout(() => {
      if (!feed) refuse('authentication timed out');
    }, Math.max(0, admitted.deadlineAt - now()));
    deadline.unref();
    socket.once('close', () => clearTimeout(deadline));

    const handle = (m: HpfeedsMessage): boolean => {
      if (!feed) {
        if (m.op !== OP_AUTH) {
          refuse('First message was not AUTH');
          return false;
        }
        const candidate = byIdent.get(m.ident);
        const expected = authDigest(nonce, candidate?.secret ?? decoySecret);
        // A locked source's guesses fail whatever they are, so that it learns nothing from them.
        if (!timingSafeEqual(m.digest, expected) || !candidate || admitted.locked(m.ident)) {
          stats.authFailures++;
          // Only a feed's ident is counted: there is no secret to guess for any other, and counting
          // made-up idents would let a guesser push its own count out of the bounded table.
          if (candidate) admitted.failed(m.ident);
          logAuthFailure(peer, m.ident);
          refuse(`Authentication failed for ${m.ident}`);
          return false;
        }
        feed = candidate;
        decoder.cap = undefined;
        admitted.authenticated();
        clearTimeout(deadline);
        let mine = byFeed.get(feed.ident);
        if (!mine) byFeed.set(feed.ident, (mine = new Set()));
        if (mine.size >= MAX_CONNECTIONS_PER_IDENT) mine.values().next().value?.destroy();
        mine.add(socket);
        const own = mine;
        socket.once('close', () => own.delete(socket));
        return true;
      }
      if (m.op === OP_PUBLISH) {
        if (m.ident !== feed.ident) {
          refuse(`Invalid authkey in message, ident=${m.ident}`);
          return false;
        }
        stats.messages++;
        if (IGNORED_CHANNELS.includes(m.channel)) {
          drop(`${m.channel}: not kept`);
          return true;
        }
        if (!feed.channels.includes(m.channel)) {
          refuse(`Authkey not allowed to pub here. ident=${feed.ident}, chan=${m.channel}`);
          return false;
        }
        let mapped;
        try {
          mapped = mapper.map(m.channel, m.payload, { sensor: feed.sensor, ident: feed.ident, receivedMs: now(), messageNo: messageNo++ });
        } catch (err) {
          opts.log.error({ err, channel: m.channel }, 'hpfeeds message could not be mapped; dropped');
          drop(`${m.channel}: mapping failed`);
          return true;
        }
        if (!mapped.ok) {
          drop(mapped.reason);
          return true;
        }
        // Checked as a remote sensor's events are: one that does not fit the catalogue, or whose source
        // (the feed's record) is past the bounds, never reaches the store.
        for (const e of mapped.events) {
          const v = validateRemoteEvent(e);
          if (!v.ok) {
            drop(`${m.channel}: ${v.reason.slice(0, 80)}`);
            continue;
          }
          opts.sink.write(v.event);
          stats.events++;
        }
        stats.cut += mapped.cut;
        return true;
      }
      if (m.op === OP_SUBSCRIBE || m.op === OP_UNSUBSCRIBE) {
        refuse(`Authkey not allowed to sub here. ident=${feed.ident}, chan=${m.channel}`);
        return false;
      }
      // INFO, AUTH again or ERROR from a client: nothing to do.
      return true;
    };

    socket.on('data', (chunk: Buffer) => {
      if (ending) return;
      decoder.feed(chunk);
      // One message at a time: AUTH lifts the decoder's cap before the next header is read.
      for (let d = decoder.next(); d; d = decoder.next()) {
        if (!d.ok) {
          opts.log.warn({ peer, reason: d.reason }, 'hpfeeds connection closed: malformed stream');
          refuse(d.reason);
          return;
        }
        if (!handle(d.message)) return;
      }
      pauseForBacklog(socket);
    });
    socket.once('close', () => paused.delete(socket));
    socket.write(encodeInfo(opts.name, nonce));
  };

  const servers: Server[] = [];
  const bound: { host: string; port: number }[] = [];
  // TLS: admitted (and counted) as raw TCP before the handshake, which is part of the time to
  // authenticate; each admitted socket is wrapped here, so its admission stays with it.
  const context = opts.tls ? createSecureContext({ cert: opts.tls.cert, key: opts.tls.key }) : undefined;
  const makeServer = (): Server =>
    createServer((raw) => {
      const admitted = admission.admit(raw);
      if (!admitted) return;
      if (!context) return serve(raw, admitted);
      const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
      secure.on('error', () => raw.destroy());
      secure.once('secure', () => serve(secure, admitted));
    });
  try {
    for (const a of opts.addresses) {
      const server = makeServer();
      server.on('error', (err) => opts.log.warn({ err }, 'hpfeeds listener error'));
      await new Promise<void>((resolve, reject) => {
        const fail = (err: Error): void => reject(listenFailed('the hpfeeds input', `${a.host}:${a.port}`, err, 'inputs.hpfeeds.listen'));
        server.once('error', fail);
        server.listen(a.port, a.host, () => {
          server.off('error', fail);
          resolve();
        });
      });
      servers.push(server);
      const addr = server.address() as { address: string; port: number };
      bound.push({ host: addr.address, port: addr.port });
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    throw err;
  }

  return {
    name: 'hpfeeds',
    bound,
    stats,
    get openConnections() {
      return admission.open.size;
    },
    async close() {
      clearInterval(resumeTimer);
      const closed = servers.map((s) => new Promise((r) => s.close(r)));
      for (const s of admission.open) s.destroy();
      await Promise.all(closed);
    },
  };
}
