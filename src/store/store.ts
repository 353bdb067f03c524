// The store interface: every back end (SQLite now, PostgreSQL for a honeynet) implements it, and
// analysis, CLI and dashboard read only through it.
import type { ApiaryEvent } from '../events/catalogue.js';

export interface EventFilter {
  type?: string;
  src?: string;
  session?: string;
  sensor?: string;
  /** Inclusive lower bound, ISO 8601 UTC. */
  since?: string;
  /** Exclusive upper bound, ISO 8601 UTC. */
  until?: string;
  limit?: number;
  order?: 'asc' | 'desc';
  /** Only events whose id sorts after this one (keyset paging). */
  afterId?: string;
}

/**
 * Whether F bounds a period: such a scan is read in time order, each page from where the last ended
 * (ties between equal times in an order each store keeps fixed: commit order in SQLite, id in
 * PostgreSQL). Paged by id, SQLite took the time index and sorted the whole period again for each
 * page (apiary report --from --to over 1M events: 130 s, against 12 s over the same events unbounded).
 */
export function isPeriod(f: EventFilter): boolean {
  return f.since !== undefined || f.until !== undefined;
}

export interface ScanOptions {
  /**
   * Parse the payloads of these event types only; events of other types carry EMPTY_PAYLOAD. For counting
   * passes that read few payloads (parsing every payload was a fifth of a report's time).
   */
  payloadTypes?: ReadonlySet<string>;
  /**
   * Read in time order (ties as isPeriod says) even without a period. A report wants each source's events in time
   * order, and counted 1M events in 11.3–12.0 s read so, against 13.6–15.7 s in id order.
   */
  byTime?: boolean;
  /**
   * Read the next pages on another thread while the caller counts this one, where the store can (a
   * SQLite file): a long pass then takes about the longer of reading and counting instead of both.
   * Starting the thread takes some tens of milliseconds, so it is for long passes such as reports.
   */
  readAhead?: boolean;
  /**
   * The caller reads no event's session, src_port or dst_ip, nor its id unless the scan is in id order
   * (a counting pass such as a report): a store may leave them empty ('' and 0) instead of reading and
   * sending them. Over 1M events in SQLite a report took 6.5–7.7 s so (its reading thread also parsing the
   * payloads) against 8.3–9.7 s before (3 paired runs); both threads turn fewer, shorter strings over.
   */
  counting?: boolean;
}

/** The payload of an event whose payload a scan was told not to parse. */
export const EMPTY_PAYLOAD: Readonly<Record<string, never>> = Object.freeze({});

/** True when cursor A (of readCommitted) is past cursor B. */
export function cursorAfter(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}

export interface EventStore extends AttackStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Stores events; ids already stored are skipped. Resolves with the number newly stored. */
  insertBatch(events: readonly ApiaryEvent[]): Promise<number>;
  query(filter: EventFilter): Promise<ApiaryEvent[]>;
  /**
   * Up to LIMIT events in the order the store committed them, after CURSOR (undefined: from the first),
   * and the cursor after the last one returned (CURSOR again when none). Analysis that must see every
   * stored event once reads with this, not by event id: events recorded earlier can be committed later
   * (a sensor's spool after an outage, an import of old logs, a sensor with a skewed clock). A cursor is
   * the decimal text of a non-negative integer position, meaningful only to the store that made it.
   */
  readCommitted(cursor: string | undefined, limit: number): Promise<{ events: ApiaryEvent[]; cursor: string | undefined }>;
  count(filter?: EventFilter): Promise<number>;
  close(): Promise<void>;

  // Incident tracking (enrichment beside events, incidents with a person's status and notes).
  /**
   * Every matching event, without the row cap of query(), for counting passes: in id order, or in time
   * order (ties as isPeriod says) when FILTER bounds a period (isPeriod) or scanPages is asked to (ScanOptions.byTime).
   */
  scan(filter: EventFilter): AsyncIterable<ApiaryEvent>;
  /** scan() a page at a time (a long pass then pays one await per page, not per event). */
  scanPages(filter: EventFilter, opts?: ScanOptions): AsyncIterable<readonly ApiaryEvent[]>;
  /** Distinct source addresses of the matching events. */
  distinctSources(filter: EventFilter): Promise<string[]>;
  /** Inserts or replaces enrichment records, one per source address. */
  upsertEnrichment(records: readonly IpEnrichment[]): Promise<void>;
  /** Enrichment of IPS (or of every address when IPS is undefined). */
  getEnrichment(ips?: readonly string[]): Promise<Map<string, IpEnrichment>>;
  /**
   * Saves what the tracker computed and moves its watermark from EXPECTED to NEXT, atomically; does
   * nothing and resolves false when another tracker moved the watermark first. Never touches the
   * status, notes or alerted_at of a stored incident.
   */
  commitIncidents(incidents: readonly IncidentRecord[], watermark: { key: string; expected: string | undefined; next: string }): Promise<boolean>;
  /** Rewrites scope, country, kind and severity of stored incidents (after re-enrichment); nothing else. */
  reviseIncidents(incidents: readonly IncidentRecord[]): Promise<void>;
  listIncidents(filter?: IncidentFilter): Promise<IncidentRecord[]>;
  /** The newest incident of each of IPS whose last event is at or after ACTIVE_SINCE (the ones a new event may extend). */
  latestIncidents(ips: readonly string[], activeSince: string): Promise<Map<string, IncidentRecord>>;
  getIncident(id: string): Promise<IncidentRecord | undefined>;
  /** Sets the status and/or appends a note; resolves with the updated incident (undefined if no such id). */
  updateIncident(id: string, change: { status?: IncidentStatus; note?: string; time: string }): Promise<IncidentRecord | undefined>;
  /** Marks the incident alerted; true only for the first caller, so an incident is alerted once. */
  claimAlert(id: string, time: string): Promise<boolean>;
  /** Takes back the claim claimAlert made at TIME (the alert was held back), so a later change can alert. */
  releaseAlert(id: string, time: string): Promise<void>;
  getState(key: string): Promise<string | undefined>;
  setState(key: string, value: string): Promise<void>;
  /**
   * Sets KEY to NEXT (deletes it when NEXT is undefined) only if its value is EXPECTED (undefined =
   * absent), atomically; resolves false and changes nothing otherwise. Collectors sharing one
   * database use it for one-time enrolment tokens and the sensor registry.
   */
  swapState(key: string, expected: string | undefined, next: string | undefined): Promise<boolean>;
  /** Every state entry whose key starts with PREFIX, by key. */
  listState(prefix: string): Promise<Map<string, string>>;
}

export type Scope = 'internal' | 'external' | 'private';

/** What is known about one source address, stored beside the events (table ip_enrichment). */
export interface IpEnrichment {
  ip: string;
  scope: Scope;
  /** In networks.ignore: the operators' own hosts, left out of every count. */
  ignored: boolean;
  country: string | null;
  asn: number | null;
  as_org: string | null;
  site: string | null;
  /** Where country/ASN came from. */
  source: 'override' | 'geoip' | 'none';
  enriched_at: string;
}

export const INCIDENT_KINDS = ['scan', 'brute_force', 'intrusion', 'exploitation', 'malware_propagation'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const INCIDENT_STATUSES = ['new', 'investigating', 'resolved', 'false_positive'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Counters the tracker keeps per incident; the kind is derived from them. */
export interface IncidentActivity {
  events: number;
  connections: number;
  probes: number;
  failed_logins: number;
  successful_logins: number;
  commands: number;
  exploits: number;
  smb_exploits: number;
  downloads: number;
  uploads: number;
  sensors: string[];
  protocols: string[];
  dst_ports: number[];
}

export interface IncidentRecord {
  /** The id of the incident's first event. */
  id: string;
  src_ip: string;
  scope: Scope;
  country: string | null;
  first_seen: string;
  last_seen: string;
  kind: IncidentKind;
  severity: Severity;
  status: IncidentStatus;
  notes: { time: string; text: string }[];
  activity: IncidentActivity;
  alerted_at: string | null;
}

export interface IncidentFilter {
  status?: IncidentStatus;
  scope?: Scope;
  src?: string;
  /** Incidents whose last event is at or after this time. */
  activeSince?: string;
  /** Incidents whose first event is before this time. */
  startedBefore?: string;
  limit?: number;
  /** By first_seen: oldest first (default) or newest first. */
  order?: 'asc' | 'desc';
}

/** The most rows one query returns, whatever the caller asks. */
export const MAX_QUERY_ROWS = 100_000;

// Attack reconstruction (src/analysis/attacks): chains of sources linked by typed, explained links.

export const ATTACK_LINK_TYPES = [
  'credential_handoff',
  'honeytoken',
  'shared_infrastructure',
  'shared_behaviour',
  'scan_then_exploit',
  'internal_propagation',
] as const;
export type AttackLinkType = (typeof ATTACK_LINK_TYPES)[number];

export interface AttackLink {
  type: AttackLinkType;
  /** Source address (or, for internal propagation, the fetched server) the link starts from. */
  from: string;
  to: string;
  explanation: string;
  evidence: string[];
}

export interface AttackStep {
  time: string;
  src_ip: string;
  country: string | null;
  service: string;
  sensor: string;
  /** ATT&CK technique id, when the step is one. */
  technique: string | null;
  /** What happened; holds attacker strings, so escape it for a terminal or HTML. */
  summary: string;
  event_id: string;
}

export interface AttackRecord {
  /** Stable: the id the chain was given when it was first seen (the id of its first source's first event). */
  id: string;
  score: number;
  factors: Record<string, { points: number; explanation: string }>;
  first_seen: string;
  last_seen: string;
  /** Members: attacking sources, and outside servers they fetched from (role "server"). */
  sources: { ip: string; scope: Scope | 'unknown'; country: string | null; role: 'attacker' | 'server' }[];
  services: string[];
  techniques: { id: string; name: string; evidence: string[] }[];
  intents: { name: string; evidence: { event_id: string; detail: string }[] }[];
  links: AttackLink[];
  steps: AttackStep[];
  /** Events folded into the chain (exact, although the lists above are capped). */
  events: number;
  /** Ids of stored chains merged into this one; committing this record removes them. */
  merged: string[];
}

export interface AttackFilter {
  minScore?: number;
  /** Only chains active in a period: seen at or after `since` (last_seen), and before `until` (first_seen). */
  since?: string | undefined;
  until?: string | undefined;
  limit?: number;
  /** Rows of the ranking to skip first (a long read a page at a time). */
  offset?: number;
}

/** The chain store every back end adds to EventStore (kept apart so a back end can add it on its own). */
export interface AttackStore {
  /** Saves chains and moves the watermark as commitIncidents does (false when another runner moved it first). */
  commitAttacks(records: readonly AttackRecord[], watermark: { key: string; expected: string | undefined; next: string }): Promise<boolean>;
  /** Chains ranked by score (highest first), then by last activity. */
  listAttacks(filter?: AttackFilter): Promise<AttackRecord[]>;
  getAttack(id: string): Promise<AttackRecord | undefined>;
}
