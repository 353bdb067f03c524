// How sensors record: a sink interface (local collector or remote shipper) and per-session emitters
// whose identity fields are fixed when the emitter is made.
import { CATALOGUE, describeZodError, payloadCertainlyValid, type ApiaryEvent, type EventType, type Payload } from './catalogue.js';
import { newEventId, newSessionId } from './id.js';
import { isoTime } from './iso-time.js';

/** Where events go. The local collector implements it; a remote shipper will too. */
export interface EventSink {
  /** Accepts one event. Must not throw and must not block for long. */
  write(event: ApiaryEvent): void;
  /** Resolves once every event written so far is durable. */
  flush(): Promise<void>;
}

export interface SessionIdentity {
  sensor: string;
  protocol: string;
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  session?: string;
}

export interface SessionEmitter {
  readonly session: string;
  readonly identity: Readonly<Required<SessionIdentity>>;
  emit<T extends EventType>(type: T, payload: Payload<T>): ApiaryEvent<T> | undefined;
  /**
   * Work still to record events of this session (a file being stored, then its file.upload): a
   * connection's `connection.close` waits for it (within a bound), so it stays the session's last
   * event. Emitters not tied to a connection do not have it.
   */
  hold?(work: Promise<unknown>): void;
}

export interface EmitterOptions {
  /** Called when a payload fails its schema (a bug in a sensor, never attacker data): the event is dropped. */
  onInvalid?: (type: string, reason: string) => void;
  now?: () => number;
}

/** Makes the emitter for one session. Payload fields can never overwrite the envelope. */
export function createSessionEmitter(sink: EventSink, identity: SessionIdentity, opts: EmitterOptions = {}): SessionEmitter {
  const bound = Object.freeze({
    sensor: identity.sensor,
    protocol: identity.protocol,
    src_ip: normaliseIp(identity.src_ip),
    src_port: identity.src_port,
    dst_ip: normaliseIp(identity.dst_ip),
    dst_port: identity.dst_port,
    session: identity.session ?? newSessionId(),
  });
  const now = opts.now ?? Date.now;
  return {
    session: bound.session,
    identity: bound,
    emit<T extends EventType>(type: T, payload: Payload<T>): ApiaryEvent<T> | undefined {
      let data: unknown = payload;
      if (!payloadCertainlyValid(type, payload)) {
        const parsed = CATALOGUE[type].safeParse(payload);
        if (!parsed.success) {
          opts.onInvalid?.(type, describeZodError(parsed.error));
          return undefined;
        }
        data = parsed.data;
      }
      const ms = now();
      // The envelope's fields one by one: spreading the frozen identity cost ten times as much.
      const event = {
        id: newEventId(ms),
        time: isoTime(ms),
        type,
        sensor: bound.sensor,
        protocol: bound.protocol,
        src_ip: bound.src_ip,
        src_port: bound.src_port,
        dst_ip: bound.dst_ip,
        dst_port: bound.dst_port,
        session: bound.session,
        payload: data as Payload<T>,
      } as ApiaryEvent<T>;
      sink.write(event as ApiaryEvent);
      return event;
    },
  };
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) is stored as `1.2.3.4`. */
export function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
