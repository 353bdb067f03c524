// Syslog output: RFC 5424 messages over UDP (one datagram each) or TCP (octet-counted frames, RFC 6587
// 3.4.1) to an IP address. A receiver that is down costs a log line, never a crash or an unbounded queue.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';

/** Messages held while a TCP receiver is unreachable; older ones are dropped first. */
export const MAX_SYSLOG_QUEUE = 1000;
/**
 * Bytes a connected TCP receiver may leave unread in the socket's buffer; past it new messages are
 * dropped and counted (a SIEM that stops reading must not fill the sensor's memory).
 */
export const MAX_SYSLOG_UNSENT_BYTES = 4 * 1024 * 1024;
export const SYSLOG_CONNECT_TIMEOUT_MS = 3000;
/** Longest wait, when stopping, for a TCP receiver to take what is still buffered. */
export const SYSLOG_CLOSE_TIMEOUT_MS = 2000;

export interface SyslogTarget {
  host: string;
  port: number;
  protocol: 'udp' | 'tcp';
}

/** Pauses between connection attempts to a TCP receiver that is down: doubling from the first to the last. */
export const SYSLOG_RETRY_FIRST_MS = 1000;
export const SYSLOG_RETRY_MAX_MS = 30_000;
/** Errors are reported at once, then at most once in this long (with how many were not). */
export const SYSLOG_ERROR_REPORT_MS = 60_000;

export class SyslogSender {
  private udp: UdpSocket | undefined;
  private tcp: Socket | undefined;
  private connecting = false;
  private readonly queue: Buffer[] = [];
  dropped = 0;
  private retryMs = SYSLOG_RETRY_FIRST_MS;
  private nextConnectAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastErrorReport = Number.NEGATIVE_INFINITY;
  private unreported = 0;
  private readonly onError: (err: Error) => void;

  constructor(
    private readonly target: SyslogTarget,
    onError: (err: Error) => void,
  ) {
    // A receiver that is down fails every send: one log line, then one a minute.
    this.onError = (err) => {
      const now = Date.now();
      if (now - this.lastErrorReport < SYSLOG_ERROR_REPORT_MS) {
        this.unreported++;
        return;
      }
      this.lastErrorReport = now;
      const more = this.unreported;
      this.unreported = 0;
      onError(more > 0 ? new Error(`${err.message} (and ${more} more error(s) since the last report)`) : err);
    };
  }

  send(message: string): void {
    if (this.target.protocol === 'udp') {
      this.udp ??= createSocket(this.target.host.includes(':') ? 'udp6' : 'udp4').on('error', (err) => this.onError(err));
      this.udp.unref();
      this.udp.send(Buffer.from(message, 'utf8'), this.target.port, this.target.host, (err) => {
        if (err) this.onError(err);
      });
      return;
    }
    const body = Buffer.from(message, 'utf8');
    const frame = Buffer.concat([Buffer.from(`${body.length} `), body]);
    if (this.tcp && !this.connecting) {
      // Buffers, so writableLength counts bytes.
      if (this.tcp.writableLength > MAX_SYSLOG_UNSENT_BYTES) this.dropped++;
      else this.tcp.write(frame);
      return;
    }
    this.queue.push(frame);
    while (this.queue.length > MAX_SYSLOG_QUEUE) {
      this.queue.shift();
      this.dropped++;
    }
    this.connectTcp();
  }

  private connectTcp(): void {
    if (this.connecting || this.retryTimer) return;
    const wait = this.nextConnectAt - Date.now();
    if (wait > 0) {
      // Backing off: what comes meanwhile waits in the (bounded) queue for the next attempt.
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.connectTcp();
      }, wait);
      this.retryTimer.unref();
      return;
    }
    this.connecting = true;
    const sock = connect({ host: this.target.host, port: this.target.port });
    sock.setTimeout(SYSLOG_CONNECT_TIMEOUT_MS, () => sock.destroy(new Error(`syslog ${this.target.host}:${this.target.port}: connect timed out`)));
    sock.on('connect', () => {
      sock.setTimeout(0);
      // A receiver that vanishes without closing is noticed instead of taking everything for 15 minutes.
      sock.setKeepAlive(true, 30_000);
      this.connecting = false;
      this.retryMs = SYSLOG_RETRY_FIRST_MS;
      this.tcp = sock;
      for (const f of this.queue.splice(0)) sock.write(f);
    });
    sock.on('error', (err) => this.onError(err));
    sock.on('close', () => {
      if (this.tcp === sock) this.tcp = undefined;
      if (this.connecting) {
        // Could not connect: the queue waits for the next attempt, after a pause that doubles each time.
        this.connecting = false;
        this.nextConnectAt = Date.now() + this.retryMs;
        this.retryMs = Math.min(SYSLOG_RETRY_MAX_MS, this.retryMs * 2);
        if (this.queue.length > 0) this.connectTcp();
      }
    });
    sock.unref();
  }

  close(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // What still waits for a receiver that never came is counted, not silently forgotten.
    this.dropped += this.queue.length;
    this.queue.length = 0;
    this.udp?.close();
    this.udp = undefined;
    const tcp = this.tcp;
    this.tcp = undefined;
    if (!tcp) return Promise.resolve();
    // What the receiver has not taken within SYSLOG_CLOSE_TIMEOUT_MS is given up: stopping never hangs on it.
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        tcp.destroy();
        resolve();
      }, SYSLOG_CLOSE_TIMEOUT_MS);
      tcp.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      tcp.end();
    });
  }
}
