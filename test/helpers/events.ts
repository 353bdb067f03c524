// Builds valid catalogue events for tests, with ids that sort in time order.
import { validateEvent, type ApiaryEvent, type EventType, type Payload } from '../../src/events/catalogue.js';
import { newEventId } from '../../src/events/id.js';

export interface EventSpec<T extends EventType = EventType> {
  type: T;
  time: string;
  src: string;
  sensor?: string;
  session?: string;
  protocol?: string;
  dst_port?: number;
  payload: Payload<T>;
}

export function makeEvent<T extends EventType>(s: EventSpec<T>): ApiaryEvent {
  const r = validateEvent({
    id: newEventId(Date.parse(s.time)),
    time: new Date(s.time).toISOString(),
    type: s.type,
    sensor: s.sensor ?? 'sensor-a',
    session: s.session ?? `S-${s.src}`,
    protocol: s.protocol ?? 'ssh',
    src_ip: s.src,
    src_port: 40000,
    dst_ip: '127.0.0.1',
    dst_port: s.dst_port ?? 22,
    payload: s.payload,
  });
  if (!r.ok) throw new Error(`bad test event: ${r.reason}`);
  return r.event;
}

/** DEPTH objects (or arrays) nested in each other, the innermost holding LEAF: an event's source of that depth. */
export function nested(depth: number, leaf: unknown = 1, array = false): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = array ? [v] : { a: v };
  return v;
}
