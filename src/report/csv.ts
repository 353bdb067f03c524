// The report as CSV: one long table (section, key, metric, value) that any spreadsheet can pivot.
import type { ReportData } from './compute.js';

/** RFC 4180 quoting; a leading =, +, - or @ is prefixed with ' so spreadsheets never run attacker text as a formula. */
export function csvCell(v: string | number | null): string {
  let s = v === null ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(r: ReportData): string {
  const rows: (string | number | null)[][] = [['section', 'key', 'metric', 'value']];
  const add = (section: string, key: string, obj: object): void => {
    for (const [metric, value] of Object.entries(obj)) {
      if (typeof value === 'number' || typeof value === 'string' || value === null) rows.push([section, key, metric, value]);
      else if (Array.isArray(value) && value.every((x) => typeof x === 'string')) rows.push([section, key, metric, value.join(' ')]);
    }
  };
  add('period', '', r.period);
  add('totals', '', { events: r.totals.events, incidents: r.totals.incidents, ...r.totals.sources });
  for (const x of r.figure1.by_service) add('figure1.by_service', x.service, x);
  for (const x of r.figure1.by_sensor) add('figure1.by_sensor', x.sensor, x);
  for (const x of r.figure1.by_service_sensor) add('figure1.by_service_sensor', `${x.service}@${x.sensor}`, x);
  for (const x of r.figure1.monthly) add('figure1.monthly', `${x.month}/${x.service}`, x);
  for (const x of r.figure2.internal_by_kind) add('figure2.internal_by_kind', x.kind, x);
  for (const x of r.figure2.internal_hosts) add('figure2.internal_hosts', x.ip, x);
  for (const x of r.incidents_by_kind) add('incidents_by_kind', x.kind, x);
  for (const x of r.countries.top) add('countries', x.country, x);
  for (const [country, sources] of Object.entries(r.countries.map)) add('countries.map', country, { sources });
  for (const g of r.countries.groups) {
    add('groups', g.group, { all_sources: g.total.sources, all_events: g.total.events });
    for (const [k, c] of Object.entries(g.by_kind)) add('groups', g.group, { [`${k}_sources`]: c.sources, [`${k}_events`]: c.events });
  }
  for (const x of r.unserved_ports) add('unserved_ports', String(x.port), x);
  for (const x of r.credentials) add('credentials', `${x.username}:${x.password}`, x);
  for (const x of r.commands) add('commands', x.command, x);
  for (const x of r.malware) add('malware', x.sha256, x);
  for (const x of r.attacks) add('attacks', x.id, x);
  return `${rows.map((r2) => r2.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
