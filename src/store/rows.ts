// Row shapes both back ends read events and incidents as, and their decoding: payloads, imported
// records, notes and activity are JSON text in either database.
import type { ApiaryEvent } from '../events/catalogue.js';
import { EMPTY_PAYLOAD, type IncidentRecord } from './store.js';

export interface EventRow {
  id: string;
  time: string;
  type: string;
  sensor: string;
  session: string;
  protocol: string;
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  payload: string;
  source: string | null;
  /** Commit order, when the query selected it; internal to the store, never part of an event. */
  seq?: unknown;
}

/** A stored payload's JSON text, parsed unless PAYLOAD_TYPES is given and leaves TYPE out (see ScanOptions). */
export function payloadFromText(type: string, text: string, payloadTypes?: ReadonlySet<string>): unknown {
  return payloadTypes && !payloadTypes.has(type) ? EMPTY_PAYLOAD : JSON.parse(text);
}

/** PAYLOAD_TYPES: parse only these types' payloads (see ScanOptions). */
export function eventFromRow(r: EventRow, payloadTypes?: ReadonlySet<string>): ApiaryEvent {
  const { payload, source, seq: _seq, ...env } = r;
  const e = { ...env, payload: payloadFromText(r.type, payload, payloadTypes) } as ApiaryEvent;
  if (source !== null && source !== undefined) e.source = JSON.parse(source) as ApiaryEvent['source'];
  return e;
}

export interface IncidentRow extends Omit<IncidentRecord, 'notes' | 'activity'> {
  notes: string;
  activity: string;
}

export function incidentFromRow(r: IncidentRow): IncidentRecord {
  return { ...r, notes: JSON.parse(r.notes) as IncidentRecord['notes'], activity: JSON.parse(r.activity) as IncidentRecord['activity'] };
}
