// The report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched.
// Every attacker-supplied string goes through escapeHtml.
import { KIND_LABELS } from '../analysis/incidents.js';
import { INCIDENT_KINDS } from '../store/store.js';
import { ALL_SERVICES, type ReportData, type ScopeCounts } from './compute.js';
import { barChart, COLORS, escapeHtml as h, timeChart, type Series } from './svg.js';
import { countryName, worldMapSvg } from './world-map.js';

/** Rows shown per table in the HTML (the JSON has more). */
export const HTML_TOP_ROWS = 25;

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232b;margin:24px auto;max-width:1000px;padding:0 16px}
h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;margin-top:34px;border-bottom:2px solid #dde3ea;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}th,td{border:1px solid #dde3ea;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f1f4f8}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.brk{word-break:break-all;min-width:13ch}.tw{overflow-x:auto}code{font-size:12px;word-break:break-all}
.chart{max-width:100%;height:auto;display:block;margin:6px 0 14px}.chart .lbl{font-size:12px;fill:#1d232b}.chart .val{font-size:11px;fill:#555}
.muted{color:#5b6570}.kpi{display:inline-block;margin:0 18px 8px 0}.kpi b{font-size:20px;display:block}
@media print{body{margin:0;max-width:none}.tw{overflow:visible}table{font-size:10px}th,td{padding:2px 4px;overflow-wrap:anywhere}h2{page-break-before:auto}.chart{page-break-inside:avoid}}
`;

/**
 * Text with a run this long and no space (a hash, a chain id, a URL) may break anywhere in its cell: a
 * table of SHA-256s and URLs was 1,465 px wide on a 1,000 px page. Shorter runs (times are 24) stay whole.
 */
const BREAKABLE_RUN = /\S{25}/;

/** An ISO time as a table shows it: "2024-05-20 08:05:02", UTC as the page's heading says (no "T", no milliseconds). */
function when(iso: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : iso;
}

function table(headers: string[], rows: (string | number)[][], numeric: boolean[] = []): string {
  if (rows.length === 0) return '<p class="muted">None in this period.</p>';
  const head = `<tr>${headers.map((x) => `<th>${h(x)}</th>`).join('')}</tr>`;
  const cell = (c: string | number, i: number): string => {
    const text = String(c);
    const cls = numeric[i] ? ' class="n"' : BREAKABLE_RUN.test(text) ? ' class="brk"' : '';
    return `<td${cls}>${h(text)}</td>`;
  };
  const body = rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('');
  // Scrolls inside its own box if it is still wider than the page, so the page itself never does.
  return `<div class="tw"><table>${head}${body}</table></div>`;
}

function scopeSeries(rows: ScopeCounts[], withPrivate: boolean): Series[] {
  const s: Series[] = [
    { name: 'external IPs', color: COLORS.external, values: rows.map((r) => r.external) },
    { name: 'internal IPs', color: COLORS.internal, values: rows.map((r) => r.internal) },
  ];
  if (withPrivate) s.push({ name: 'private (unlisted) IPs', color: COLORS.private, values: rows.map((r) => r.private) });
  return s;
}

export function renderHtml(r: ReportData): string {
  const f1 = r.figure1;
  const anyPrivate = r.totals.sources.private > 0;
  const period = `${r.period.from ?? r.period.first_event ?? '(no events)'} to ${r.period.to ?? r.period.last_event ?? '(no events)'}`;
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Apiary report ${h(period)}</title><style>${CSS}</style></head><body>`);
  out.push(`<h1>Apiary incident report</h1><p class="muted">Period ${h(period)} (UTC) · generated ${h(r.generated_at)}</p>`);
  out.push('<section id="summary"><h2>Summary</h2>');
  const kpi = (label: string, v: number | string): string => `<span class="kpi"><b>${h(String(v))}</b>${h(label)}</span>`;
  out.push(kpi('events', r.totals.events), kpi('distinct source IPs', r.totals.sources.all), kpi('external IPs', r.totals.sources.external), kpi('internal IPs', r.totals.sources.internal), kpi('incidents', r.totals.incidents));
  out.push(`<p>Sensors: ${h(r.totals.sensors.join(', ') || 'none')}. Services: ${h(r.totals.services.join(', ') || 'none')}.</p></section>`);

  // Figure 1: distinct IPs per service and sensor, external vs internal.
  out.push('<section id="figure-1"><h2>Figure 1 · Distinct IPs in external and internal attacks</h2>');
  out.push('<h3>Per honeypot service, whole period</h3>');
  out.push(barChart('fig1-by-service', 'Distinct IPs per service', f1.by_service.map((x) => x.service), scopeSeries(f1.by_service, anyPrivate)));
  out.push('<h3>Per sensor, whole period</h3>');
  out.push(barChart('fig1-by-sensor', 'Distinct IPs per sensor', f1.by_sensor.map((x) => x.sensor), scopeSeries(f1.by_sensor, anyPrivate)));
  out.push('<h3>Per service and sensor</h3>');
  out.push(barChart('fig1-by-service-sensor', 'Distinct IPs per service and sensor', f1.by_service_sensor.map((x) => `${x.service} @ ${x.sensor}`), scopeSeries(f1.by_service_sensor, anyPrivate)));
  out.push('<h3>Per month</h3>');
  const services = [ALL_SERVICES, ...r.totals.services];
  for (const svc of services) {
    const rows = f1.monthly.filter((m) => m.service === svc);
    if (rows.length === 0) continue;
    out.push(`<p class="muted">${svc === ALL_SERVICES ? 'All services' : h(svc)}</p>`);
    out.push(timeChart(`fig1-monthly-${svc === ALL_SERVICES ? 'all' : svc}`, `Distinct IPs per month, ${svc === ALL_SERVICES ? 'all services' : svc}`, rows.map((m) => m.month), scopeSeries(rows, anyPrivate)));
  }
  out.push(table(['service', 'sensor', 'external IPs', 'internal IPs', 'private IPs', 'events'], f1.by_service_sensor.map((x) => [x.service, x.sensor, x.external, x.internal, x.private, x.events]), [false, false, true, true, true, true]));
  out.push('</section>');

  // Figure 2: internal attacks by type and the hosts to clean.
  out.push('<section id="figure-2"><h2>Figure 2 · Internal attacks by type</h2>');
  const ik = r.figure2.internal_by_kind;
  out.push(barChart('fig2-internal-by-kind', 'Internal sources per attack type', ik.map((k) => KIND_LABELS[k.kind]), [{ name: 'internal IPs', color: COLORS.internal, values: ik.map((k) => k.sources) }]));
  out.push(table(['type', 'internal IPs', 'incidents', 'events'], ik.map((k) => [KIND_LABELS[k.kind], k.sources, k.incidents, k.events]), [false, true, true, true]));
  out.push('<h3 id="internal-hosts">Internal hosts (compromised machines to find and clean)</h3>');
  out.push(table(['IP', 'site', 'first seen', 'last seen', 'what it did', 'sensors touched', 'services', 'incidents', 'events'],
    r.figure2.internal_hosts.map((x) => [x.ip, x.site ?? '', when(x.first_seen), when(x.last_seen), x.kinds.map((k) => KIND_LABELS[k]).join(', '), x.sensors.join(', '), x.services.join(', '), x.incidents, x.events]),
    [false, false, false, false, false, false, false, true, true]));
  out.push('</section>');

  out.push('<section id="incidents"><h2>Incidents by type</h2>');
  out.push(table(['type', 'incidents', 'external IPs', 'internal IPs', 'private IPs', 'events'], r.incidents_by_kind.map((k) => [KIND_LABELS[k.kind], k.incidents, k.external, k.internal, k.private, k.events]), [false, true, true, true, true, true]));
  out.push('</section>');

  // Countries and groups.
  out.push('<section id="countries"><h2>Countries and country groups</h2>');
  out.push(worldMapSvg('world-map', new Map(Object.entries(r.countries.map))));
  const top = r.countries.top.slice(0, HTML_TOP_ROWS);
  out.push(barChart('countries-top', 'Top countries by distinct source IPs', top.map((c) => `${countryName(c.country)} (${c.country})`), [{ name: 'distinct IPs', color: COLORS.external, values: top.map((c) => c.sources) }]));
  out.push(table(['country', 'code', 'distinct IPs', 'events'], top.map((c) => [countryName(c.country), c.country, c.sources, c.events]), [false, false, true, true]));
  out.push('<h3 id="groups">Country group × activity (distinct IPs / events; membership at each event time)</h3>');
  const gh = ['group', 'all', ...INCIDENT_KINDS.map((k) => KIND_LABELS[k])];
  out.push(table(gh, r.countries.groups.map((g) => [g.group, `${g.total.sources} / ${g.total.events}`, ...INCIDENT_KINDS.map((k) => `${g.by_kind[k].sources} / ${g.by_kind[k].events}`)])));
  out.push('</section>');

  out.push('<section id="unserved-ports"><h2>Ports probed with no service behind them</h2>');
  out.push(table(['port', 'distinct IPs', 'events'], r.unserved_ports.slice(0, HTML_TOP_ROWS).map((p) => [p.port, p.sources, p.events]), [true, true, true]));
  out.push('</section><section id="credentials"><h2>Top credentials tried</h2>');
  out.push(table(['username', 'password', 'attempts', 'accepted', 'distinct IPs'], r.credentials.slice(0, HTML_TOP_ROWS).map((c) => [c.username, c.password, c.attempts, c.successes, c.sources]), [false, false, true, true, true]));
  out.push('</section><section id="commands"><h2>Top commands</h2>');
  out.push(table(['command', 'times', 'distinct IPs'], r.commands.slice(0, HTML_TOP_ROWS).map((c) => [c.command, c.count, c.sources]), [false, true, true]));
  out.push('</section><section id="malware"><h2>Captured malware</h2>');
  out.push(table(['SHA-256', 'MD5', 'size', 'type', 'from', 'server country', 'distinct IPs', 'events', 'first seen'],
    r.malware.slice(0, HTML_TOP_ROWS).map((m) => [m.sha256, m.md5 ?? '', m.size ?? '', m.type, m.urls.join(' '), m.servers.map((s) => `${s.host}: ${s.country ?? '?'}`).join(', '), m.sources, m.events, when(m.first_seen)]),
    [false, false, true, false, false, false, true, true, false]));
  out.push('</section><section id="attacks"><h2>Attack chains</h2>');
  if (r.filters.sensors) out.push(`<p class="muted">${h(r.method.attacks ?? '')}</p>`);
  else {
    out.push('<p class="muted">Sources linked into multi-stage attacks (apiary attacks), highest APT score first; "apiary attack show ID" gives each step and its evidence.</p>');
    out.push(table(['chain', 'APT score', 'sources', 'servers', 'countries', 'services', 'intent', 'techniques', 'links', 'events', 'first seen', 'last seen'],
      r.attacks.map((a) => [a.id, a.score, a.sources, a.servers, a.countries.join(' '), a.services.join(' '), a.intents.join(' '), a.techniques.join(' '), a.links.map((l) => l.replace(/_/g, ' ')).join(', '), a.events, when(a.first_seen), when(a.last_seen)]),
      [false, true, true, true, false, false, false, false, false, true, false, false]));
  }
  out.push('</section>');

  out.push('<section id="method"><h2>What this report covers and how it counts</h2>');
  out.push(`<p>Period: ${h(period)}. First event ${h(r.period.first_event ?? '-')}, last ${h(r.period.last_event ?? '-')}. Sensors: ${h(r.filters.sensors?.join(', ') ?? 'all')}.</p>`);
  out.push(`<p>Internal networks: ${h(r.filters.internal_networks.join(', ') || 'none configured')}. Ignored (operators' own hosts): ${h(r.filters.ignored_networks.join(', ') || 'none')}; ${r.filters.ignored_events} events from ${r.filters.ignored_sources} such sources left out.</p>`);
  out.push(`<p>Geolocation: country from ${h(r.sources_of_data.country)}; ASN from ${h(r.sources_of_data.asn)}.</p>`);
  out.push(`<dl>${Object.entries(r.method).map(([k, v]) => `<dt><b>${h(k)}</b></dt><dd>${h(v)}</dd>`).join('')}</dl>`);
  out.push('</section></body></html>');
  return out.join('\n');
}
