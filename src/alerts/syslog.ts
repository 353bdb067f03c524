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

export class SyslogSender {
  private udp: UdpSocket | undefined;
  private tcp: Socket | undefined;
  private connecting = false;
  private readonly queue: string[] = [];
  dropped = 0;

  constructor(
    private readonly target: SyslogTarget,
    private readonly onError: (err: Error) => void,
  ) {}

  send(message: string): void {
    if (this.target.protocol === 'udp') {
      this.udp ??= createSocket(this.target.host.includes(':') ? 'udp6' : 'udp4').on('error', (err) => this.onError(err));
      this.udp.unref();
      this.udp.send(Buffer.from(message, 'utf8'), this.target.port, this.target.host, (err) => {
        if (err) this.onError(err);
      });
      return;
    }
    const frame = `${Buffer.byteLength(message, 'utf8')} ${message}`;
    if (this.tcp && !this.connecting) {
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
    if (this.connecting) return;
    this.connecting = true;
    const sock = connect({ host: this.target.host, port: this.target.port });
    sock.setTimeout(SYSLOG_CONNECT_TIMEOUT_MS, () => sock.destroy(new Error(`syslog ${this.target.host}:${this.target.port}: connect timed out`)));
    sock.on('connect', () => {
      sock.setTimeout(0);
      this.connecting = false;
      this.tcp = sock;
      for (const f of this.queue.splice(0)) sock.write(f);
    });
    sock.on('error', (err) => this.onError(err));
    sock.on('close', () => {
      if (this.tcp === sock) this.tcp = undefined;
      if (this.connecting) {
        // Could not connect: what was queued is dropped (the alert log line still records it).
        this.connecting = false;
        this.dropped += this.queue.length;
        this.queue.length = 0;
      }
    });
    sock.unref();
  }

  close(): Promise<void> {
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
