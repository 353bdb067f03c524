// Alert messages: the JSON body webhooks receive, and syslog lines (RFC 5424, optionally carrying a CEF
// message). Pure functions: the same alert always formats to the same bytes.
import { KIND_LABELS } from '../analysis/incidents.js';
import type { IncidentRecord, Severity } from '../store/store.js';

export interface Alert {
  type: 'apiary.incident';
  /** Why this incident is alerted. */
  reason: 'internal_source' | 'severity';
  incident_id: string;
  src_ip: string;
  scope: IncidentRecord['scope'];
  country: string | null;
  kind: IncidentRecord['kind'];
  severity: Severity;
  first_seen: string;
  last_seen: string;
  events: number;
  sensors: string[];
  protocols: string[];
  summary: string;
  sent_at: string;
}

export function buildAlert(inc: IncidentRecord, reason: Alert['reason'], now: Date): Alert {
  const where = inc.activity.sensors.join(', ');
  return {
    type: 'apiary.incident',
    reason,
    incident_id: inc.id,
    src_ip: inc.src_ip,
    scope: inc.scope,
    country: inc.country,
    kind: inc.kind,
    severity: inc.severity,
    first_seen: inc.first_seen,
    last_seen: inc.last_seen,
    events: inc.activity.events,
    sensors: [...inc.activity.sensors],
    protocols: [...inc.activity.protocols],
    summary: `${inc.scope} source ${inc.src_ip}${inc.country ? ` (${inc.country})` : ''}: ${KIND_LABELS[inc.kind]} on ${where || 'a sensor'}, severity ${inc.severity}`,
    sent_at: now.toISOString(),
  };
}

/** Syslog severity per incident severity (RFC 5424 table 2: 2 critical, 3 error, 4 warning, 5 notice). */
const SYSLOG_SEVERITY: Record<Severity, number> = { critical: 2, high: 3, medium: 4, low: 5 };
/** CEF severity 0-10. */
const CEF_SEVERITY: Record<Severity, number> = { critical: 10, high: 8, medium: 5, low: 3 };

/** Private enterprise number used for Apiary's structured-data id (the example PEN from RFC 5612). */
export const SD_ID = 'apiary@32473';
/** Longest syslog message sent; RFC 5424 receivers must take 480 octets and should take 2048. */
export const MAX_SYSLOG_BYTES = 2048;
/** Longest event message over TCP (octet-counted frames; rsyslog and syslog-ng take 8 KiB by default). */
export const MAX_SYSLOG_TCP_BYTES = 8192;

/** PARAM-VALUE escaping (RFC 5424 6.3.3): '"', '\' and ']' get a backslash. */
export function sdEscape(v: string): string {
  return v.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** Printable US-ASCII without spaces, at most N characters, or "-" (header fields, RFC 5424 6.2). */
export function headerField(v: string, max: number): string {
  const clean = v.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean || '-';
}

export interface SyslogOptions {
  facility: number;
  hostname: string;
  appName?: string;
  procId?: string;
}

export function formatRfc5424(alert: Alert, opts: SyslogOptions, message = alert.summary): string {
  const pri = opts.facility * 8 + SYSLOG_SEVERITY[alert.severity];
  const sd = `[${SD_ID} incident="${sdEscape(alert.incident_id)}" src="${sdEscape(alert.src_ip)}" scope="${alert.scope}" kind="${alert.kind}" severity="${alert.severity}" country="${sdEscape(alert.country ?? '')}" events="${alert.events}"]`;
  const header = `<${pri}>1 ${alert.sent_at} ${headerField(opts.hostname, 255)} ${headerField(opts.appName ?? 'apiary', 48)} ${headerField(opts.procId ?? String(process.pid), 128)} incident`;
  const line = `${header} ${sd} ${message.replace(/[\r\n]+/g, ' ')}`;
  return truncateUtf8(line, MAX_SYSLOG_BYTES);
}

/** CEF header fields escape '\' and '|'; extension values escape '\', '=' and line breaks. */
export function cefHeaderEscape(v: string): string {
  return v.replace(/[\\|]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
}
export function cefValueEscape(v: string): string {
  return v.replace(/[\\=]/g, (c) => `\\${c}`).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

export function formatCef(alert: Alert, version: string): string {
  const ext = [
    ['rt', String(Date.parse(alert.last_seen))],
    ['src', alert.src_ip],
    ['cat', alert.kind],
    ['cs1Label', 'scope'],
    ['cs1', alert.scope],
    ['cs2Label', 'incident'],
    ['cs2', alert.incident_id],
    ['cs3Label', 'country'],
    ['cs3', alert.country ?? ''],
    ['cnt', String(alert.events)],
    ['msg', alert.summary],
  ]
    .map(([k, v]) => `${k}=${cefValueEscape(v!)}`)
    .join(' ');
  return `CEF:0|Apiary|Apiary|${cefHeaderEscape(version)}|incident.${alert.kind}|${cefHeaderEscape(`${KIND_LABELS[alert.kind]} from ${alert.scope} source`)}|${CEF_SEVERITY[alert.severity]}|${ext}`;
}

/** S cut to at most MAX_BYTES of UTF-8, never in the middle of a character. */
export function truncateUtf8(s: string, maxBytes: number): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= maxBytes) return s;
  return b.subarray(0, maxBytes).toString('utf8').replace(/\uFFFD+$/, '');
}
