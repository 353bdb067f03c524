// Incidents: a source's events grouped until it goes quiet for longer than a gap, classified by what the
// source did (scan, brute force, intrusion, exploitation, malware propagation), with a severity.
// Pure functions over events and enrichment; the tracker that persists them is in incident-tracker.ts.
import type { ApiaryEvent } from '../events/catalogue.js';
import {
  SEVERITIES,
  type IncidentActivity,
  type IncidentKind,
  type IncidentRecord,
  type IpEnrichment,
  type Scope,
  type Severity,
} from '../store/store.js';

/** Login attempts (failed, or successful without activity after) that make a source a brute-forcer rather than a scanner. */
export const BRUTE_FORCE_MIN_ATTEMPTS = 2;
/** Most distinct sensors, protocols and ports kept per incident (the counters stay exact). */
export const MAX_LISTED = 64;

export const KIND_LABELS: Record<IncidentKind, string> = {
  scan: 'scan',
  brute_force: 'brute force',
  intrusion: 'intrusion',
  exploitation: 'exploitation',
  malware_propagation: 'malware propagation',
};

export function emptyActivity(): IncidentActivity {
  return {
    events: 0, connections: 0, probes: 0, failed_logins: 0, successful_logins: 0, commands: 0,
    exploits: 0, smb_exploits: 0, downloads: 0, uploads: 0, sensors: [], protocols: [], dst_ports: [],
  };
}

/**
 * A copy of A that addToActivity can change without touching A: its counters are copied, its lists
 * shared (addToActivity replaces a list, never changes one), and missing in records of old stores.
 */
export function copyActivity(a: IncidentActivity): IncidentActivity {
  return { ...a, sensors: a.sensors ?? [], protocols: a.protocols ?? [], dst_ports: a.dst_ports ?? [] };
}

/**
 * LIST with V added (at most MAX_LISTED values, no repeats): a new array of exactly its length when V is
 * new, LIST itself otherwise. Most lists hold one or two values, and push() onto an empty array reserves
 * 17 slots: three such lists were 40% of an open incident's memory (a report over 130,000 sources
 * holds an incident for each).
 */
function withListed<T>(list: T[], v: T): T[] {
  return list.length < MAX_LISTED && !list.includes(v) ? list.concat([v]) : list;
}

export function isSmb(e: ApiaryEvent): boolean {
  return e.protocol === 'smb' || e.dst_port === 445 || e.dst_port === 139;
}

/** Adds one event to the counters (mutates A, which the caller owns). */
export function addToActivity(a: IncidentActivity, e: ApiaryEvent): void {
  a.events++;
  a.sensors = withListed(a.sensors, e.sensor);
  a.protocols = withListed(a.protocols, e.protocol);
  if (e.dst_port > 0) a.dst_ports = withListed(a.dst_ports, e.dst_port);
  switch (e.type) {
    case 'connection.open':
      a.connections++;
      break;
    case 'scan.probe':
      a.probes++;
      break;
    case 'auth.attempt':
      if ((e as ApiaryEvent<'auth.attempt'>).payload.success) a.successful_logins++;
      else a.failed_logins++;
      break;
    case 'command.input':
    case 'query':
      a.commands++;
      break;
    case 'exploit.attempt':
      a.exploits++;
      if (isSmb(e)) a.smb_exploits++;
      break;
    case 'file.download':
    case 'shellcode.detected':
      a.downloads++;
      break;
    case 'file.upload':
      a.uploads++;
      break;
    default:
      break;
  }
}

/** What the source did, the most serious reading first. */
export function classify(a: IncidentActivity, scope: Scope): IncidentKind {
  const payload = a.downloads + a.uploads > 0;
  if ((a.exploits > 0 && payload) || (scope === 'internal' && a.smb_exploits > 0)) return 'malware_propagation';
  if (a.exploits > 0) return 'exploitation';
  if (a.successful_logins > 0 && (a.commands > 0 || payload)) return 'intrusion';
  if (a.failed_logins + a.successful_logins >= BRUTE_FORCE_MIN_ATTEMPTS) return 'brute_force';
  return 'scan';
}

const BASE_SEVERITY: Record<IncidentKind, Severity> = {
  scan: 'low',
  brute_force: 'medium',
  intrusion: 'high',
  exploitation: 'high',
  malware_propagation: 'critical',
};

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** Any internal source is at least high: no legitimate machine talks to a honeypot. */
export function severityOf(kind: IncidentKind, scope: Scope): Severity {
  const base = BASE_SEVERITY[kind];
  return scope === 'internal' && severityRank(base) < severityRank('high') ? 'high' : base;
}

export interface IncidentChange {
  incident: IncidentRecord;
  created: boolean;
  /** Severity before these events (undefined for a new incident). */
  previousSeverity: Severity | undefined;
}

/**
 * Folds EVENTS (any order; they are sorted by time here) into incidents. OPEN holds the latest stored
 * incident per source (it is not modified). Ignored sources make no incident. Returns every incident
 * these events created or changed.
 */
/** Sensor announcements (a planted honeytoken) come from no attacker and make no incident. */
const SENSOR_EVENT_TYPES: ReadonlySet<string> = new Set(['honeytoken.planted']);

export function isAttackerEvent(e: ApiaryEvent): boolean {
  return !SENSOR_EVENT_TYPES.has(e.type) && e.src_ip !== '0.0.0.0' && e.src_ip !== '::';
}

export function foldIncidents(
  open: ReadonlyMap<string, IncidentRecord>,
  events: readonly ApiaryEvent[],
  enrichment: ReadonlyMap<string, IpEnrichment>,
  quietGapMs: number,
): IncidentChange[] {
  const current = new Map<string, IncidentRecord>();
  const changes = new Map<string, IncidentChange>();
  const sorted = [...events].sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : x.id < y.id ? -1 : 1));
  for (const e of sorted) {
    if (!isAttackerEvent(e)) continue;
    const info = enrichment.get(e.src_ip);
    if (info?.ignored) continue;
    const scope: Scope = info?.scope ?? 'external';
    let inc = current.get(e.src_ip);
    if (!inc) {
      const stored = open.get(e.src_ip);
      if (stored) inc = { ...stored, activity: copyActivity(stored.activity) };
    }
    if (!inc || Date.parse(e.time) - Date.parse(inc.last_seen) > quietGapMs) {
      inc = {
        id: e.id, src_ip: e.src_ip, scope, country: info?.country ?? null, first_seen: e.time, last_seen: e.time,
        kind: 'scan', severity: severityOf('scan', scope), status: 'new', notes: [], activity: emptyActivity(), alerted_at: null,
      };
      changes.set(inc.id, { incident: inc, created: true, previousSeverity: undefined });
    } else if (!changes.has(inc.id)) {
      changes.set(inc.id, { incident: inc, created: false, previousSeverity: inc.severity });
    }
    current.set(e.src_ip, inc);
    addToActivity(inc.activity, e);
    if (e.time > inc.last_seen) inc.last_seen = e.time;
    inc.scope = scope;
    inc.country = info?.country ?? inc.country;
    inc.kind = classify(inc.activity, scope);
    inc.severity = severityOf(inc.kind, scope);
    changes.get(inc.id)!.incident = inc;
  }
  return [...changes.values()];
}

/**
 * Incidents of re-enriched sources seen with their new scope and country (kind and severity follow);
 * returns only those that changed.
 */
export function reviseForEnrichment(incidents: readonly IncidentRecord[], enrichment: ReadonlyMap<string, IpEnrichment>): IncidentRecord[] {
  const out: IncidentRecord[] = [];
  for (const inc of incidents) {
    const info = enrichment.get(inc.src_ip);
    if (!info) continue;
    const kind = classify(inc.activity, info.scope);
    const revised = { ...inc, scope: info.scope, country: info.country, kind, severity: severityOf(kind, info.scope) };
    if (revised.scope !== inc.scope || revised.country !== inc.country || revised.kind !== inc.kind || revised.severity !== inc.severity) out.push(revised);
  }
  return out;
}
