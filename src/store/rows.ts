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

/**
 * A stored payload's JSON text, parsed unless PAYLOAD_TYPES is given and leaves TYPE out (see
 * ScanOptions); a scan may then not have read the text at all (null).
 */
export function payloadFromText(type: string, text: string | null, payloadTypes?: ReadonlySet<string>): unknown {
  return text === null || (payloadTypes && !payloadTypes.has(type)) ? EMPTY_PAYLOAD : JSON.parse(text);
}

/** PAYLOAD_TYPES: parse only these types' payloads (see ScanOptions). */
export function eventFromRow(r: EventRow, payloadTypes?: ReadonlySet<string>): ApiaryEvent {
  // Field by field, in the envelope's order: taking the rest of the row by destructuring copied it twice
  // (and the analysis reads every event back this way).
  const e = {
    id: r.id, time: r.time, type: r.type, sensor: r.sensor, session: r.session, protocol: r.protocol,
    src_ip: r.src_ip, src_port: r.src_port, dst_ip: r.dst_ip, dst_port: r.dst_port,
    payload: payloadFromText(r.type, r.payload, payloadTypes),
  } as ApiaryEvent;
  if (r.source !== null && r.source !== undefined) e.source = JSON.parse(r.source) as ApiaryEvent['source'];
  return e;
}

/**
 * An event's columns as an array, in the envelope's order, payload last (SQLite's raw rows, PostgreSQL's
 * array rows); the payload is null where a scan left it unread (ScanOptions.payloadTypes).
 */
export type RawRow = [string, string, string, string, string, string, string, number, string, number, string | null];

/** An event from R, which may carry more columns after these (commit order). Building no keyed row per event is cheaper. */
export function rawToEvent(r: RawRow | [...RawRow, ...unknown[]], payloadTypes?: ReadonlySet<string>): ApiaryEvent {
  return withPayload(r, payloadFromText(r[2], r[10], payloadTypes));
}

/**
 * An event from a row that payloadsParsed has been through. A thread reading ahead parses the payloads
 * and posts the page as one JSON text: the reader then parses each page once, not each payload again.
 */
export function parsedRawToEvent(r: readonly unknown[]): ApiaryEvent {
  return withPayload(r, r[10] ?? EMPTY_PAYLOAD);
}

/** ROWS (raw rows) with their payload column parsed as rawToEvent would, null where it gives EMPTY_PAYLOAD; in place. */
export function payloadsParsed(rows: unknown[][], payloadTypes?: ReadonlySet<string>): unknown[][] {
  for (const r of rows) {
    const p = payloadFromText(r[2] as string, r[10] as string | null, payloadTypes);
    r[10] = p === EMPTY_PAYLOAD ? null : p;
  }
  return rows;
}

function withPayload(r: readonly unknown[], payload: unknown): ApiaryEvent {
  return {
    id: r[0], time: r[1], type: r[2], sensor: r[3], session: r[4], protocol: r[5],
    src_ip: r[6], src_port: r[7], dst_ip: r[8], dst_port: r[9],
    payload,
  } as ApiaryEvent;
}

export interface IncidentRow extends Omit<IncidentRecord, 'notes' | 'activity'> {
  notes: string;
  activity: string;
}

export function incidentFromRow(r: IncidentRow): IncidentRecord {
  return { ...r, notes: JSON.parse(r.notes) as IncidentRecord['notes'], activity: JSON.parse(r.activity) as IncidentRecord['activity'] };
}
