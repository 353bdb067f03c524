// The dashboard's JSON API: overview, live events (server-sent events), sessions and recordings,
// incidents, malware, credentials and honeytokens, services, reports and the SQL console.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { configure, Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';
import { KIND_LABELS } from '../analysis/incidents.js';
import { classifierFromConfig, enricherFromConfig, geoIpFromConfig } from '../enrich/from-config.js';
import type { GeoIp } from '../enrich/geoip.js';
import { gatherIndicators } from '../exporters/indicators.js';
import { defaultProducer, EXPORT_FORMATS, exportChunks, type ExportFormat } from '../exporters/export.js';
import { TLP_LEVELS, type Tlp } from '../exporters/stix.js';
import type { Enricher } from '../enrich/enricher.js';
import type { ApiaryEvent } from '../events/catalogue.js';
import { maskSecret, maskSecretsIn } from '../events/mask.js';
import { COLORS, barChart, timeChart } from '../report/svg.js';
import { countryName, worldMapSvg } from '../report/world-map.js';
import { renderCsv } from '../report/csv.js';
import { renderHtml } from '../report/html.js';
import type { ReportData } from '../report/compute.js';
import { INCIDENT_STATUSES, type IncidentStatus, type Scope } from '../store/store.js';
import type { Accounts } from './accounts.js';
import { Busy, WorkLimiter } from './limiter.js';
import { periodAggregates, type PeriodAggregates } from './aggregates.js';
import { registerChainApi } from './chains.js';
import { allowed, fail, SECURITY_HEADERS, type DashboardDeps } from './server.js';

configure({ useWebWorkers: false });

/** How long a computed overview/report is reused before it is computed again. */
export const REPORT_CACHE_MS = 30_000;
const REPORT_CACHE_ENTRIES = 16;
/** Longest note, and most events sent per live batch. */
export const MAX_NOTE_CHARS = 4000;
export const LIVE_BATCH_EVENTS = 500;
/** Live monitors open at once (each holds a connection), and per user: one viewer cannot take them all. */
export const MAX_LIVE_STREAMS = 32;
export const MAX_LIVE_STREAMS_PER_USER = 4;
/** Bytes a live monitor may have waiting to be sent; past this its client is not reading, and events are skipped. */
export const MAX_LIVE_BUFFERED_BYTES = 1024 * 1024;
/** Passes over a period's events (overview, reports, exports) at once, and how many more may wait. */
export const MAX_RUNNING_AGGREGATES = 2;
export const MAX_WAITING_AGGREGATES = 4;
/**
 * Session searches at once, and how many more may wait. A search walks up to MAX_SESSION_SCAN
 * events on this thread (in steps); eight at once held a cheap request up 2.65 s.
 */
export const MAX_RUNNING_SEARCHES = 1;
export const MAX_WAITING_SEARCHES = 2;
/** SQL console queries at once (each a child process for up to query_timeout_ms), and how many more may wait. */
export const MAX_RUNNING_QUERIES = 2;
export const MAX_WAITING_QUERIES = 2;
/** Largest recording sent to the player. */
export const MAX_RECORDING_BYTES = 16 * 1024 * 1024;
/** New incidents counted on the overview (more show as "1000+"). */
export const OPEN_INCIDENTS_COUNTED = 1000;
/** Largest connection time limit settable from the dashboard (a day). */
export const MAX_LIMIT_S = 86_400;
const SESSION_RE = /^[0-9A-Za-z_-]{1,64}$/;
const SHA256_RE = /^[0-9a-f]{64}$/;
const MAX_PARAM_CHARS = 256;

type Q = Record<string, string | undefined>;

/** An ISO time from a query parameter (a day or a full time), or undefined. */
function timeParam(v: string | undefined): string | undefined {
  if (!v || v.length > 40) return undefined;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** An error the dashboard's error handler answers with STATUS and MESSAGE. */
function httpError(status: number, message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode: status });
}

function textParam(v: string | undefined): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v.slice(0, MAX_PARAM_CHARS) : undefined;
}

/** Keeps printable text and CR/LF/BS/TAB of a terminal recording; escape sequences are dropped. */
export function plainTerminalText(s: string): string {
  return s
    .replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, '')
    .replace(/\x1b[\]PX^_][\s\S]*?(?:\x07|\x1b\\|$)/g, '')
    .replace(/\x1b./g, '')
    .replace(/[\x00-\x07\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]/g, '');
}

/**
 * Aggregates over a period (aggregates.ts) cost a pass over the period's events,
 * seconds at a million: each is computed once, shared by concurrent callers, and served from memory;
 * after REPORT_CACHE_MS the next caller still gets the last value at once while a new one is computed
 * in the background (stale while revalidating), so only the very first request of a period waits.
 */
export class AggregateCache {
  private readonly entries = new Map<string, { at: number; value: Promise<unknown>; refreshing: boolean }>();

  constructor(
    private readonly ttlMs = REPORT_CACHE_MS,
    private readonly maxEntries = REPORT_CACHE_ENTRIES,
    /** Bounds the computations running at once (each period asked for is a new one); Busy past it. */
    private readonly limiter = new WorkLimiter('reports', MAX_RUNNING_AGGREGATES, MAX_WAITING_AGGREGATES),
  ) {}

  get<T>(key: string, rawCompute: () => Promise<T>): Promise<T> {
    const compute = (): Promise<T> => this.limiter.run(rawCompute);
    const hit = this.entries.get(key);
    if (hit) {
      if (Date.now() - hit.at >= this.ttlMs && !hit.refreshing) {
        hit.refreshing = true;
        compute().then(
          (v) => this.entries.set(key, { at: Date.now(), value: Promise.resolve(v), refreshing: false }),
          () => (hit.refreshing = false),
        );
      }
      return hit.value as Promise<T>;
    }
    const value = compute();
    value.catch(() => this.entries.delete(key));
    this.entries.set(key, { at: Date.now(), value, refreshing: false });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}

export function registerApi(app: FastifyInstance, deps: DashboardDeps & { accounts: Accounts; streams: Set<() => void> }): void {
  const { config, store, reads, accounts } = deps;
  let enricher: Enricher | undefined;
  let geoip: GeoIp | undefined;
  /** The enricher with the GeoIP databases, made at first use; a report names the databases as its sources. */
  const fullEnricher = (): Enricher => (enricher ??= enricherFromConfig(config, (geoip ??= geoIpFromConfig(config))));
  const heavy = new WorkLimiter('reports', MAX_RUNNING_AGGREGATES, MAX_WAITING_AGGREGATES);
  // Its own queue: a search is not refused because a report is being computed, nor the reverse.
  const searches = new WorkLimiter('session searches', MAX_RUNNING_SEARCHES, MAX_WAITING_SEARCHES);
  const queries = new WorkLimiter('console queries', MAX_RUNNING_QUERIES, MAX_WAITING_QUERIES);
  /** Live monitors open per user. */
  const liveByUser = new Map<string, number>();
  const cache = new AggregateCache(deps.dash.refresh_s * 1000, undefined, heavy);
  /** The period's report (one pass over its events), shared and refreshed in the background. */
  const aggregates = (from: string | undefined, to: string | undefined): Promise<PeriodAggregates> =>
    cache.get(`${from ?? ''}|${to ?? ''}`, () => {
      const e = fullEnricher();
      return periodAggregates(store, config, { from, to, enricher: e, geoip });
    });
  const report = async (from: string | undefined, to: string | undefined): Promise<ReportData> => (await aggregates(from, to)).report;
  const perDay = async (from: string | undefined, to: string | undefined) => (await aggregates(from, to)).days;
  const perPort = async (from: string | undefined, to: string | undefined) => (await aggregates(from, to)).ports;
  /** The period FROM and TO name; a 400 for one that does not parse or is empty, never a silent "all time". */
  const period = (q: Q): { from: string | undefined; to: string | undefined } => {
    const from = timeParam(q.from);
    const to = timeParam(q.to);
    for (const [k, raw, t] of [['from', q.from, from], ['to', q.to, to]] as const) {
      if (raw && !t) throw httpError(400, `${k}: expected a date (2026-01-31) or an ISO time (2026-01-31T12:00:00Z), got ${JSON.stringify(raw.slice(0, 40))}`);
    }
    if (from && to && from >= to) throw httpError(400, `from (${from}) must be before to (${to})`);
    return { from, to };
  };

  // The period as the period routes read it, or their 400: the reports page checks it before offering downloads.
  app.get<{ Querystring: Q }>('/api/period', async (req) => {
    const { from, to } = period(req.query);
    return { from: from ?? null, to: to ?? null };
  });

  app.get<{ Querystring: Q }>('/api/overview', async (req) => {
    const { from, to } = period(req.query);
    const [r, days, open, top] = await Promise.all([report(from, to), perDay(from, to), store.listIncidents({ status: 'new', limit: OPEN_INCIDENTS_COUNTED }), cache.get('top-chains', () => store.listAttacks({ limit: 5 }))]);
    return {
      period: r.period,
      totals: r.totals,
      open_incidents: open.length >= OPEN_INCIDENTS_COUNTED ? `${OPEN_INCIDENTS_COUNTED}+` : open.length,
      days,
      figure1: r.figure1.by_service,
      figure2: r.figure2.internal_by_kind.map((k) => ({ ...k, label: KIND_LABELS[k.kind] })),
      internal_hosts: r.figure2.internal_hosts,
      countries: r.countries.top.slice(0, 20).map((c) => ({ ...c, name: countryName(c.country) })),
      groups: r.countries.groups.map((g) => ({ group: g.group, sources: g.total.sources, events: g.total.events })),
      chains: top.map((c) => ({ id: c.id, score: c.score, sources: c.sources.filter((x) => x.role !== 'server').map((x) => x.ip) })),
    };
  });

  // Charts are SVG documents shown with <img>: an image cannot run script, whatever text it holds.
  app.get<{ Params: { name: string }; Querystring: Q }>('/api/chart/:name', async (req, reply) => {
    const { from, to } = period(req.query);
    const r = await report(from, to);
    const scope = (rows: { external: number; internal: number }[]) => [
      { name: 'external IPs', color: COLORS.external, values: rows.map((x) => x.external) },
      { name: 'internal IPs', color: COLORS.internal, values: rows.map((x) => x.internal) },
    ];
    let svg: string;
    switch (req.params.name) {
      case 'figure1.svg':
        svg = barChart('fig1', 'Distinct IPs per honeypot service, external vs internal', r.figure1.by_service.map((x) => x.service), scope(r.figure1.by_service));
        break;
      case 'figure2.svg': {
        const ik = r.figure2.internal_by_kind;
        svg = barChart('fig2', 'Internal sources per attack type', ik.map((k) => KIND_LABELS[k.kind]), [{ name: 'internal IPs', color: COLORS.internal, values: ik.map((k) => k.sources) }]);
        break;
      }
      case 'map.svg':
        svg = worldMapSvg('world-map', new Map(Object.entries(r.countries.map)));
        break;
      case 'days.svg': {
        const days = await perDay(from, to);
        svg = timeChart('days', 'Events and sources per day', days.map((d) => d.day), [
          { name: 'events', color: COLORS.external, values: days.map((d) => d.events) },
          { name: 'sources', color: COLORS.internal, values: days.map((d) => d.sources) },
        ]);
        break;
      }
      case 'ports.svg': {
        const ports = (await perPort(from, to)).slice(0, 25);
        svg = barChart('ports', 'Connections per port: served vs unserved', ports.map((p) => `${p.port}/${p.protocol}`), [
          { name: 'served', color: COLORS.internal, values: ports.map((p) => p.served) },
          { name: 'unserved', color: COLORS.external, values: ports.map((p) => p.unserved) },
        ]);
        break;
      }
      default:
        return fail(reply, 404, 'no such chart');
    }
    return reply
      .type('image/svg+xml; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(svg.replace('<svg ', '<svg style="font: 11px sans-serif" '));
  });

  // A live monitor lasts as long as its login: logout or expiry ends it, and a beat does not keep the
  // login alive. A client that stops reading loses events (counted as skipped), not the server's memory.
  app.get('/api/live', (req, reply) => {
    if (deps.streams.size >= MAX_LIVE_STREAMS) return fail(reply, 503, 'too many live monitors open; close one');
    const user = req.login!.username;
    const mine = liveByUser.get(user) ?? 0;
    if (mine >= MAX_LIVE_STREAMS_PER_USER) return fail(reply, 503, `you have ${mine} live monitors open; close one`);
    liveByUser.set(user, mine + 1);
    const token = req.login!.token;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    res.write(': live\n\n');
    let skipped = 0;
    const send = (events: readonly ApiaryEvent[]): void => {
      if (!accounts.alive(token)) return end();
      if (res.writableLength > MAX_LIVE_BUFFERED_BYTES) {
        skipped += events.length;
        return;
      }
      const slice = events.slice(-LIVE_BATCH_EVENTS);
      skipped += events.length - slice.length;
      if (skipped > 0) res.write(`event: skipped\ndata: ${skipped}\n\n`);
      skipped = 0;
      for (const e of slice) res.write(`data: ${JSON.stringify(e)}\n\n`);
    };
    const off = deps.onEvents(send);
    const beat = setInterval(() => (accounts.alive(token) ? res.write(': beat\n\n') : end()), 15_000);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      off();
      unwatch();
      clearInterval(beat);
      deps.streams.delete(end);
      const left = (liveByUser.get(user) ?? 1) - 1;
      if (left > 0) liveByUser.set(user, left);
      else liveByUser.delete(user);
      res.end();
    };
    const unwatch = accounts.watch(token, end);
    deps.streams.add(end);
    req.raw.on('close', end);
  });

  registerChainApi(app, store, (key, compute) => cache.get(key, compute));

  app.get<{ Querystring: Q }>('/api/sessions', async (req, reply) => {
    const q = req.query;
    if (!reads) return fail(reply, 501, `session search is not available on the ${store.kind} store yet`);
    const search = {
      ...(textParam(q.src) ? { src: textParam(q.src)! } : {}),
      ...(textParam(q.protocol) ? { protocol: textParam(q.protocol)! } : {}),
      ...(textParam(q.username) !== undefined ? { username: textParam(q.username)! } : {}),
      ...(textParam(q.password) !== undefined ? { password: textParam(q.password)! } : {}),
      ...(textParam(q.command) !== undefined ? { command: textParam(q.command)! } : {}),
      ...(timeParam(q.since) ? { since: timeParam(q.since)! } : {}),
      ...(timeParam(q.until) ? { until: timeParam(q.until)! } : {}),
      limit: Math.min(Number(q.limit) || 100, 500),
    };
    return searches.run(() => reads.searchSessions(search));
  });

  app.get<{ Params: { id: string } }>('/api/sessions/:id', async (req, reply) => {
    if (!SESSION_RE.test(req.params.id)) return fail(reply, 400, 'bad session id');
    const events = await store.query({ session: req.params.id, limit: 5000, order: 'asc' });
    if (events.length === 0) return fail(reply, 404, 'no such session');
    const recording = existsSync(join(config.data_dir, 'recordings', `${req.params.id}.cast`));
    return { events, recording };
  });

  app.get<{ Params: { id: string } }>('/api/sessions/:id/recording', async (req, reply) => {
    if (!SESSION_RE.test(req.params.id)) return fail(reply, 400, 'bad session id');
    const path = join(config.data_dir, 'recordings', `${req.params.id}.cast`);
    if (!existsSync(path) || statSync(path).size > MAX_RECORDING_BYTES) return fail(reply, 404, 'no recording for this session');
    const frames: [number, string][] = [];
    for (const line of readFileSync(path, 'utf8').split('\n').slice(1)) {
      try {
        const v: unknown = JSON.parse(line);
        if (Array.isArray(v) && typeof v[0] === 'number' && v[1] === 'o' && typeof v[2] === 'string') frames.push([v[0], plainTerminalText(v[2])]);
      } catch {
        /* a line cut by a crash */
      }
    }
    return { frames };
  });

  app.get<{ Querystring: Q }>('/api/incidents', async (req) => {
    const status = INCIDENT_STATUSES.includes(req.query.status as IncidentStatus) ? (req.query.status as IncidentStatus) : undefined;
    const scope = ['internal', 'external', 'private'].includes(req.query.scope ?? '') ? (req.query.scope as Scope) : undefined;
    return store.listIncidents({ ...(status ? { status } : {}), ...(scope ? { scope } : {}), ...(textParam(req.query.src) ? { src: textParam(req.query.src)! } : {}), limit: 500, order: 'desc' });
  });

  app.get('/api/alerts', async () => (await store.listIncidents({ limit: 5000, order: 'desc' })).filter((i) => i.alerted_at !== null).slice(0, 500));

  app.post<{ Params: { id: string }; Body: { status?: unknown; note?: unknown } }>('/api/incidents/:id', async (req, reply) => {
    if (!allowed(req, reply, ['admin', 'analyst'])) return reply;
    const { status, note } = req.body ?? {};
    if (status !== undefined && !INCIDENT_STATUSES.includes(status as IncidentStatus)) return fail(reply, 400, `status must be one of ${INCIDENT_STATUSES.join(', ')}`);
    if (note !== undefined && (typeof note !== 'string' || note.length === 0 || note.length > MAX_NOTE_CHARS)) return fail(reply, 400, `a note is 1 to ${MAX_NOTE_CHARS} characters`);
    if (status === undefined && note === undefined) return fail(reply, 400, 'nothing to change');
    const updated = await store.updateIncident(req.params.id.slice(0, 64), { ...(status ? { status: status as IncidentStatus } : {}), ...(note ? { note: note as string } : {}), time: new Date().toISOString() });
    if (!updated) return fail(reply, 404, 'no such incident');
    await accounts.audit({ user: req.login!.username, action: 'incident.update', target: updated.id, detail: JSON.stringify({ status, note: note === undefined ? undefined : 'added' }), ip: req.ip });
    return updated;
  });

  const quarantineDir = join(config.data_dir, 'quarantine');
  app.get<{ Querystring: Q }>('/api/malware', async (req) => {
    const { from, to } = period(req.query);
    const { report: r, fileLastSeen: last } = await aggregates(from, to);
    return r.malware.map((m) => ({ ...m, last_seen: last.get(m.sha256) ?? m.first_seen, stored: existsSync(join(quarantineDir, m.sha256)) }));
  });

  app.get<{ Params: { sha: string } }>('/api/malware/:sha/zip', async (req, reply) => {
    if (!allowed(req, reply, ['admin', 'analyst'])) return reply;
    if (!SHA256_RE.test(req.params.sha)) return fail(reply, 400, 'bad hash');
    const path = join(quarantineDir, req.params.sha);
    if (!existsSync(path)) return fail(reply, 404, 'not in quarantine');
    const zip = new ZipWriter(new Uint8ArrayWriter(), { password: 'infected', zipCrypto: true });
    await zip.add(`${req.params.sha}.bin`, new Uint8ArrayReader(readFileSync(path)));
    const bytes = await zip.close();
    await accounts.audit({ user: req.login!.username, action: 'malware.download', target: req.params.sha, ip: req.ip });
    return reply.type('application/zip').header('content-disposition', `attachment; filename="${req.params.sha}.zip"`).send(Buffer.from(bytes));
  });

  app.get<{ Querystring: Q }>('/api/credentials', async (req) => {
    const { from, to } = period(req.query);
    const agg = await aggregates(from, to);
    const r = agg.report;
    const sum = (key: 'username' | 'password'): { value: string; attempts: number }[] => {
      const m = new Map<string, number>();
      for (const c of r.credentials) m.set(c[key], (m.get(c[key]) ?? 0) + c.attempts);
      return [...m].map(([value, attempts]) => ({ value, attempts })).sort((a, b) => b.attempts - a.attempts).slice(0, 50);
    };
    // Decoy secrets are masked for every role, in the honeytoken list and wherever an attacker tried
    // one, as `apiary honeytokens` and the SIEM output show them: whoever reads the dashboard, an
    // insider too, does not learn which credentials are traps.
    const secrets = agg.honeytokens.map((t) => t.secret).filter((sec) => sec.length > 0);
    const masked = (v: string): string => maskSecretsIn(v, secrets);
    return {
      pairs: r.credentials.slice(0, 50).map((c) => ({ ...c, username: masked(c.username), password: masked(c.password) })),
      usernames: sum('username').map((u) => ({ ...u, value: masked(u.value) })),
      passwords: sum('password').map((p) => ({ ...p, value: masked(p.value) })),
      honeytokens: agg.honeytokens.map(({ secret, ...t }) => ({ ...t, secret_masked: maskSecret(secret) })),
    };
  });

  app.get<{ Querystring: Q }>('/api/services', async (req) => {
    const { from, to } = period(req.query);
    return {
      services: deps.services.map((s) => ({
        name: s.name,
        bound: s.bound,
        enabled: s.enabled ?? true,
        switchable: typeof s.setEnabled === 'function',
        limits: typeof s.setLimits === 'function' ? (s.limits ?? null) : null,
        open_connections: s.openConnections,
      })),
      ports: await perPort(from, to),
    };
  });

  app.post<{ Params: { name: string }; Body: { enabled?: unknown } }>('/api/services/:name', async (req, reply) => {
    if (!allowed(req, reply, ['admin'])) return reply;
    const enabled = req.body?.enabled;
    if (typeof enabled !== 'boolean') return fail(reply, 400, 'enabled must be true or false');
    const targets = deps.services.filter((s) => s.name === req.params.name);
    if (targets.length === 0) return fail(reply, 404, 'no such service');
    if (targets.some((s) => !s.setEnabled)) return fail(reply, 409, 'this service cannot be switched at run time');
    await Promise.all(targets.map((s) => s.setEnabled!(enabled)));
    await accounts.audit({ user: req.login!.username, action: enabled ? 'service.on' : 'service.off', target: req.params.name, ip: req.ip });
    return { name: req.params.name, enabled };
  });

  app.post<{ Params: { name: string }; Body: { idle_timeout_s?: unknown; session_timeout_s?: unknown } }>('/api/services/:name/limits', async (req, reply) => {
    if (!allowed(req, reply, ['admin'])) return reply;
    const change: { idle_timeout_s?: number; session_timeout_s?: number } = {};
    for (const key of ['idle_timeout_s', 'session_timeout_s'] as const) {
      const v = req.body?.[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_LIMIT_S) return fail(reply, 400, `${key} must be a whole number of seconds from 1 to ${MAX_LIMIT_S}`);
      change[key] = v;
    }
    const targets = deps.services.filter((s) => s.name === req.params.name);
    if (targets.length === 0) return fail(reply, 404, 'no such service');
    if (targets.some((s) => !s.setLimits)) return fail(reply, 409, 'this service has no run-time settings');
    for (const s of targets) s.setLimits!(change);
    await accounts.audit({ user: req.login!.username, action: 'service.settings', target: req.params.name, detail: JSON.stringify(change), ip: req.ip });
    return { name: req.params.name, limits: targets[0]!.limits };
  });

  app.get<{ Params: { format: string }; Querystring: Q }>('/api/reports/:format', async (req, reply) => {
    const { from, to } = period(req.query);
    const r = await report(from, to);
    const name = `apiary-report-${(from ?? 'start').slice(0, 10)}-${(to ?? 'now').slice(0, 10)}`;
    switch (req.params.format) {
      case 'json':
        return reply.type('application/json').header('content-disposition', `attachment; filename="${name}.json"`).send(JSON.stringify(r, null, 2));
      case 'csv':
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(renderCsv(r));
      case 'html':
        return reply
          .type('text/html; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}.html"`)
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
          .send(renderHtml(r));
      default:
        return fail(reply, 404, 'formats: json, csv, html');
    }
  });

  // Indicators for a threat-sharing platform, as `apiary export` writes them (internal sources only with internal=1).
  app.get<{ Params: { format: string }; Querystring: Q }>('/api/exports/:format', async (req, reply) => {
    const format = req.params.format as ExportFormat;
    if (!EXPORT_FORMATS.includes(format)) return fail(reply, 404, `formats: ${EXPORT_FORMATS.join(', ')}`);
    const tlp = (req.query.tlp ?? 'amber') as Tlp;
    if (!(TLP_LEVELS as readonly string[]).includes(tlp)) return fail(reply, 400, `tlp: ${TLP_LEVELS.join(', ')}`);
    const now = new Date().toISOString();
    const { from = new Date(0).toISOString(), to = now } = period(req.query);
    const classifier = classifierFromConfig(config, fullEnricher);
    const indicators = await heavy.run(() => gatherIndicators(store, { from, to, includeInternal: req.query.internal === '1', classify: (ip) => classifier.enrich(ip) }));
    const chunks = exportChunks(format, indicators, { producer: defaultProducer(config.sensor), tlp, now });
    await accounts.audit({ user: req.login!.username, action: `export.${format}`, target: `${from}..${to}`, detail: JSON.stringify({ tlp, internal: req.query.internal === '1', sources: indicators.sources.length, files: indicators.files.length, urls: indicators.urls.length }), ip: req.ip });
    return reply
      .type('application/json')
      .header('content-disposition', `attachment; filename="apiary-${format}-${from.slice(0, 10)}-${to.slice(0, 10)}.json"`)
      .send(Readable.from(chunks));
  });

  app.post<{ Body: { sql?: unknown } }>('/api/query', async (req, reply) => {
    if (!allowed(req, reply, ['admin'])) return reply;
    const sql = req.body?.sql;
    if (typeof sql !== 'string' || sql.trim().length === 0 || sql.length > 10_000) return fail(reply, 400, 'a query of at most 10,000 characters is required');
    if (!reads) return fail(reply, 501, `the SQL console is not available on the ${store.kind} store yet`);
    await accounts.audit({ user: req.login!.username, action: 'query', target: 'store', detail: sql.slice(0, 500), ip: req.ip });
    try {
      return await queries.run(() => reads.runQuery(sql, { timeoutMs: deps.dash.query_timeout_ms, maxRows: deps.dash.query_max_rows }));
    } catch (err) {
      if (err instanceof Busy) throw err;
      return fail(reply, 400, (err as Error).message);
    }
  });
}
