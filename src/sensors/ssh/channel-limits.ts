// What one SSH connection's channels may make the sensor hold. ssh2 trusts the client's channel
// parameters: it cuts a channel's output into packets of the size the client announced (0 never ends a
// write, so one `echo` hung the process until it ran out of memory; 1 made a 256 KB write take two
// seconds), it keeps whatever output the client's window has no room for, without bound, and it opens
// as many channels as a client asks for. No I/O here: the sensor asks and acts.
import { MAX_UNSENT_BYTES } from '../runtime/listener.js';

/**
 * Smallest channel packet size a client may announce; below it the connection is closed. OpenSSH,
 * PuTTY, dropbear and ssh2 announce 32,768 (RFC 4254 leaves it to the client; RFC 4253 expects 32,768).
 */
export const MIN_CLIENT_PACKET_BYTES = 1024;
/** Channels (sessions and forwardings) open at once on one connection: OpenSSH's MaxSessions default. */
export const MAX_OPEN_CHANNELS = 10;
/**
 * Channels one connection may open in all. ssh2 keeps a session the client closed before starting a
 * shell, exec or subsystem in its table for as long as the connection lasts.
 */
export const MAX_CHANNELS_PER_CONNECTION = 256;
/** Output packets an SFTP channel may queue for a client's window; each is counted as it is summed. */
export const MAX_QUEUED_SFTP_PACKETS = 1024;

/** What ssh2 keeps of the client's side of a channel (Channel and SFTP: `outgoing`; Session: `_chanInfo.outgoing`). */
interface Outgoing {
  packetSize?: unknown;
}

/** The packet size the client announced for CHANNEL (an ssh2 Session, Channel or SFTP), or undefined. */
export function announcedPacketSize(channel: unknown): number | undefined {
  const c = channel as { outgoing?: Outgoing; _chanInfo?: { outgoing?: Outgoing } } | null;
  const size = (c?.outgoing ?? c?._chanInfo?.outgoing)?.packetSize;
  return typeof size === 'number' ? size : undefined;
}

/** Bytes of output CHANNEL holds for the client (a stream's writable buffer, or an SFTP channel's queue). */
export function unsentBytes(channel: unknown): number {
  const c = channel as { writableLength?: unknown; _buffer?: unknown } | null;
  if (typeof c?.writableLength === 'number') return c.writableLength;
  if (!Array.isArray(c?._buffer)) return 0;
  // SFTP: packets queued for the window. Past MAX_QUEUED_SFTP_PACKETS it counts as over the limit
  // without summing further (the sum runs on every chunk the client sends).
  if (c._buffer.length > MAX_QUEUED_SFTP_PACKETS) return MAX_UNSENT_BYTES + 1;
  let n = 0;
  for (const b of c._buffer as unknown[]) n += Buffer.isBuffer(b) ? b.length : 0;
  return n;
}

/** The channels of one connection: how many are open and were opened, and the output they hold. */
export class ChannelLimits {
  private open = 0;
  private opened = 0;
  private readonly writers = new Set<unknown>();

  /** Whether one more channel may open; if so it counts as open until RELEASE is called. */
  take(): boolean {
    if (this.open >= MAX_OPEN_CHANNELS || this.opened >= MAX_CHANNELS_PER_CONNECTION) return false;
    this.open++;
    this.opened++;
    return true;
  }

  release(): void {
    if (this.open > 0) this.open--;
  }

  /** Why CHANNEL cannot be served, or undefined when its packet size is one a real client announces. */
  refusal(channel: unknown): string | undefined {
    const size = announcedPacketSize(channel);
    return size !== undefined && size < MIN_CLIENT_PACKET_BYTES ? `channel packet size ${size} below ${MIN_CLIENT_PACKET_BYTES}` : undefined;
  }

  /** Counts CHANNEL's unsent output until FORGET is called for it. */
  watch(channel: unknown): void {
    this.writers.add(channel);
  }

  forget(channel: unknown): void {
    this.writers.delete(channel);
  }

  /** Whether the output waiting for the client's windows is past MAX_UNSENT_BYTES (the limit a TCP connection has). */
  overflowing(): boolean {
    let n = 0;
    for (const w of this.writers) {
      n += unsentBytes(w);
      if (n > MAX_UNSENT_BYTES) return true;
    }
    return false;
  }
}
