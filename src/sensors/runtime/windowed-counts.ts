// Counts of what a source had refused (requests, events), each reported once per window: the first
// refusal opens a window of LIMITED_SUMMARY_WINDOW_MS, and its end reports the count as one
// `connection.limited` (emitLimited).
import type { Payload } from '../../events/catalogue.js';
import { createSessionEmitter, type EventSink, type SessionIdentity } from '../../events/emitter.js';

/** How often at most one `connection.limited` summary is emitted per source and limit. */
export const LIMITED_SUMMARY_WINDOW_MS = 10_000;

export class WindowedCounts<T> {
  private readonly open = new Map<string, { first: T; count: number; since: number; timer: NodeJS.Timeout }>();

  constructor(
    /** Called with the key, the first refused item of the window, how many, and the window's length. */
    private readonly report: (key: string, first: T, count: number, windowMs: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  add(key: string, item: T): void {
    const o = this.open.get(key);
    if (o) {
      o.count++;
      return;
    }
    const timer = setTimeout(() => this.close(key), LIMITED_SUMMARY_WINDOW_MS);
    timer.unref();
    this.open.set(key, { first: item, count: 1, since: this.now(), timer });
  }

  /** Reports every open window now (at shutdown). */
  flush(): void {
    for (const key of [...this.open.keys()]) this.close(key);
  }

  private close(key: string): void {
    const o = this.open.get(key);
    if (!o) return;
    clearTimeout(o.timer);
    this.open.delete(key);
    this.report(key, o.first, o.count, this.now() - o.since);
  }
}

/** One `connection.limited`: REFUSED past LIMIT over WINDOWMS, under ENVELOPE (a connection's, or sourceEnvelope's). */
export function emitLimited(sink: EventSink, envelope: SessionIdentity, limit: Payload<'connection.limited'>['limit'], refused: number, windowMs: number): void {
  createSessionEmitter(sink, envelope).emit('connection.limited', { limit, refused, window_s: Math.round(windowMs / 100) / 10 });
}

/** The envelope of a summary about a source as a whole rather than one of its connections. */
export function sourceEnvelope(sensor: string, protocol: string, src: string): SessionIdentity {
  return { sensor, protocol, src_ip: src, src_port: 0, dst_ip: '0.0.0.0', dst_port: 0 };
}
