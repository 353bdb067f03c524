// The dashboard's pages. Each one fetches its JSON, builds its DOM from text nodes and returns, when
// it keeps something running (the live stream, a recording), the function that stops it.
import type { SessionSearchResult } from '../../store/dashboard-reads.js';
import { api, ApiError, button, el, errorText, fmtTime, input, link, login, query, route, table, visible, type Child } from './dom.js';

type Route = ReturnType<typeof route>;
export type Page = (main: HTMLElement, r: Route) => Promise<(() => void) | void>;

interface Totals {
  events: number;
  sources: { all: number; external: number; internal: number; private: number };
  incidents: number;
  sensors: string[];
  services: string[];
}

interface ApiaryEventJson {
  id: string;
  time: string;
  type: string;
  session: string;
  protocol: string;
  src_ip: string;
  dst_port: number;
  sensor: string;
  payload: Record<string, unknown>;
}

const ISO_SHA256 = /^[0-9a-f]{64}$/;
const MAX_SUMMARY_CHARS = 300;

function canChange(what: 'incidents' | 'admin'): boolean {
  const role = login()?.role;
  return role === 'admin' || (what === 'incidents' && role === 'analyst');
}

function counter(id: string, label: string, value: number | string): HTMLElement {
  return el('div', { class: 'counter', id }, el('b', {}, value), label);
}

/** The from/to inputs of a page; submitting puts them in the route so the page reloads with them. */
function periodForm(r: Route, page: string): HTMLElement {
  const from = input('from', 'from (YYYY-MM-DD)', r.params.get('from') ?? '');
  const to = input('to', 'to (YYYY-MM-DD)', r.params.get('to') ?? '');
  const f = el('form', { class: 'inline', id: 'period' }, 'Period: ', from, ' to ', to, el('button', { type: 'submit' }, 'Show'));
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = `#/${page}${query({ from: from.value, to: to.value })}`;
  });
  return f;
}

/**
 * PAGE, one with the period form of NAME: a period the server refuses (a 400 naming from or to) shows
 * the form, holding what was typed, above the error, so it can be corrected in place.
 */
function withPeriod(name: string, page: Page): Page {
  return async (main, r) => {
    try {
      return await page(main, r);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 400) throw err;
      main.replaceChildren(periodForm(r, name), el('p', { class: 'error', id: 'page-error' }, errorText(err)));
      return undefined;
    }
  };
}

function periodQuery(r: Route): string {
  return query({ from: r.params.get('from') ?? undefined, to: r.params.get('to') ?? undefined });
}

function chart(id: string, name: string, r: Route, alt: string): HTMLImageElement {
  const img = el('img', { id, alt });
  img.src = `/api/chart/${name}${periodQuery(r)}`;
  return img;
}

/** One line about an event's payload, clipped. */
function summary(e: ApiaryEventJson): string {
  const p = e.payload;
  let s: string;
  switch (e.type) {
    case 'auth.attempt':
      s = `${String(p.username)} / ${String(p.password ?? p.key_type ?? '')} ${p.success ? 'accepted' : 'refused'}`;
      break;
    case 'command.input':
      s = String(p.input);
      break;
    case 'http.request':
      s = `${String(p.method)} ${String(p.path)} ${String(p.user_agent ?? '')}`;
      break;
    case 'file.download':
      s = `${String(p.url ?? '')} ${String(p.outcome)} ${String(p.sha256 ?? '')}`;
      break;
    case 'file.upload':
      s = `${String(p.filename)} ${String(p.sha256)}`;
      break;
    default:
      s = JSON.stringify(p);
  }
  return s.length > MAX_SUMMARY_CHARS ? `${s.slice(0, MAX_SUMMARY_CHARS)}…` : s;
}

const overview: Page = async (main, r) => {
  const o = await api<{
    totals: Totals;
    open_incidents: number | string;
    figure1: { service: string; events: number; external: number; internal: number }[];
    internal_hosts: { ip: string; site: string | null; kinds: string[]; first_seen: string; last_seen: string; incidents: number; services: string[] }[];
    countries: { country: string; name: string; sources: number; events: number }[];
    groups: { group: string; sources: number; events: number }[];
    chains: { id: string; score: number; sources: string[] }[];
  }>(`/api/overview${periodQuery(r)}`);
  main.replaceChildren(
    el('h1', {}, 'Overview'),
    periodForm(r, 'overview'),
    el(
      'div',
      { class: 'counters', id: 'counters' },
      counter('c-events', 'events', o.totals.events),
      counter('c-sources', 'source IPs', o.totals.sources.all),
      counter('c-external', 'external IPs', o.totals.sources.external),
      counter('c-internal', 'internal IPs', o.totals.sources.internal),
      counter('c-incidents', 'incidents', o.totals.incidents),
      counter('c-open', 'new incidents', o.open_incidents),
    ),
    el('h2', {}, 'Attacks over time'),
    el('div', { class: 'charts' }, chart('chart-days', 'days.svg', r, 'events and sources per day')),
    el('h2', {}, 'Figure 1: distinct IPs per honeypot, external vs internal'),
    el('div', { class: 'charts' }, chart('chart-fig1', 'figure1.svg', r, 'Figure 1')),
    table('fig1-table', o.figure1, [
      { title: 'service', value: (x) => x.service },
      { title: 'external IPs', value: (x) => x.external, numeric: true },
      { title: 'internal IPs', value: (x) => x.internal, numeric: true },
      { title: 'events', value: (x) => x.events, numeric: true },
    ]),
    el('h2', {}, 'Figure 2: internal attacks by type'),
    el('div', { class: 'charts' }, chart('chart-fig2', 'figure2.svg', r, 'Figure 2')),
    el('h2', {}, 'Internal hosts to clean'),
    table('internal-hosts', o.internal_hosts, [
      { title: 'address', value: (h) => link(`sessions?src=${encodeURIComponent(h.ip)}`, h.ip) },
      { title: 'site', value: (h) => h.site ?? '' },
      { title: 'what it did', value: (h) => h.kinds.join(', ') },
      { title: 'services', value: (h) => h.services.join(', ') },
      { title: 'first seen', value: (h) => fmtTime(h.first_seen) },
      { title: 'last seen', value: (h) => fmtTime(h.last_seen) },
      { title: 'incidents', value: (h) => h.incidents, numeric: true },
    ], 'no internal host attacked a sensor'),
    el('h2', {}, 'Sources by country'),
    el('div', { class: 'charts' }, chart('chart-map', 'map.svg', r, 'world map of sources')),
    table('countries', o.countries, [
      { title: 'country', value: (c) => `${c.name} (${c.country})` },
      { title: 'source IPs', value: (c) => c.sources, numeric: true },
      { title: 'events', value: (c) => c.events, numeric: true },
    ]),
    el('h2', {}, 'Country groups'),
    table('groups', o.groups, [
      { title: 'group', value: (g) => g.group },
      { title: 'source IPs', value: (g) => g.sources, numeric: true },
      { title: 'events', value: (g) => g.events, numeric: true },
    ]),
    el('h2', {}, 'Top attack chains'),
    table('top-chains', o.chains, [
      { title: 'chain', value: (c) => link(`chain/${encodeURIComponent(c.id)}`, c.id.slice(0, 12)) },
      { title: 'APT score', value: (c) => c.score, numeric: true },
      { title: 'sources', value: (c) => c.sources.join(', ') },
    ], 'no attack chains yet'),
  );
};

const live: Page = async (main) => {
  const filter = input('filter', 'filter: type, address, text');
  let paused = false;
  const pause = button('Pause', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    state.textContent = paused ? 'paused' : 'live';
  }, { id: 'live-pause' });
  const state = el('span', { class: 'badge on', id: 'live-state' }, 'connecting');
  const body = el('tbody', {});
  const tbl = el('table', { id: 'live-table' }, el('thead', {}, el('tr', {}, ...['time', 'type', 'service', 'source', 'session', 'what'].map((t) => el('th', {}, t)))), body);
  main.replaceChildren(el('h1', {}, 'Live monitor'), el('div', { class: 'toolbar' }, filter, pause, state), el('div', { class: 'live' }, tbl));
  const matches = (e: ApiaryEventJson): boolean => {
    const f = filter.value.trim().toLowerCase();
    return !f || [e.type, e.src_ip, e.protocol, summary(e)].some((s) => s.toLowerCase().includes(f));
  };
  const rowOf = (e: ApiaryEventJson): HTMLTableRowElement => {
    const tr = el('tr', {}, el('td', {}, fmtTime(e.time)), el('td', {}, e.type), el('td', {}, e.protocol), el('td', {}, e.src_ip), el('td', {}, link(`session/${encodeURIComponent(e.session)}`, e.session.slice(0, 10))), el('td', {}, summary(e)));
    tr.hidden = !matches(e);
    (tr as HTMLTableRowElement & { apiary?: ApiaryEventJson }).apiary = e;
    return tr;
  };
  filter.addEventListener('input', () => {
    for (const tr of Array.from(body.rows)) {
      const e = (tr as HTMLTableRowElement & { apiary?: ApiaryEventJson }).apiary;
      if (e) tr.hidden = !matches(e);
    }
  });
  const source = new EventSource('/api/live');
  source.onopen = () => {
    state.textContent = paused ? 'paused' : 'live';
  };
  source.onmessage = (m: MessageEvent<string>) => {
    if (paused) return;
    const e = JSON.parse(m.data) as ApiaryEventJson;
    body.prepend(rowOf(e));
    while (body.rows.length > 500) body.deleteRow(-1);
  };
  source.onerror = () => {
    state.textContent = 'reconnecting';
  };
  return () => source.close();
};

const sessions: Page = async (main, r) => {
  const fields = ['src', 'protocol', 'username', 'password', 'command', 'since', 'until'] as const;
  const inputs = fields.map((f) => input(f, f, r.params.get(f) ?? ''));
  const form = el('form', { class: 'inline', id: 'session-search' }, ...inputs, el('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = `#/sessions${query(Object.fromEntries(fields.map((f, i) => [f, inputs[i]!.value])))}`;
  });
  const found = await api<SessionSearchResult>(`/api/sessions${query(Object.fromEntries(fields.map((f) => [f, r.params.get(f) ?? undefined])))}`);
  const rows = found.sessions;
  main.replaceChildren(
    el('h1', {}, 'Sessions'),
    form,
    table('sessions-table', rows, [
      { title: 'session', value: (s) => link(`session/${encodeURIComponent(s.session)}`, s.session.slice(0, 12)) },
      { title: 'started', value: (s) => fmtTime(s.first) },
      { title: 'ended', value: (s) => fmtTime(s.last) },
      { title: 'source', value: (s) => s.src_ip },
      { title: 'service', value: (s) => `${s.protocol}:${s.dst_port}` },
      { title: 'sensor', value: (s) => s.sensor },
      { title: 'events', value: (s) => s.events, numeric: true },
      { title: 'logins', value: (s) => s.logins, numeric: true },
      { title: 'commands', value: (s) => s.commands, numeric: true },
    ], 'no session matches'),
    rows.length >= 100 ? older(fields, r, rows[rows.length - 1]!.first) : '',
    found.searched_to ? searchedTo(fields, r, found.searched_to) : '',
  );
};

/** A search that stopped before the oldest events: how far back it looked, and a link to go on. */
function searchedTo(fields: readonly string[], r: Route, to: string): HTMLElement {
  const params = Object.fromEntries(fields.map((f) => [f, r.params.get(f) ?? undefined]));
  return el('p', { id: 'search-partial', class: 'muted' }, `This search looked at the newest events only, back to ${fmtTime(to)}. `, link(`sessions${query({ ...params, until: to })}`, 'Search older events →'));
}

/** A link to the next page of sessions: the same search, before the oldest one shown. */
function older(fields: readonly string[], r: Route, before: string): HTMLElement {
  const params = Object.fromEntries(fields.map((f) => [f, r.params.get(f) ?? undefined]));
  return el('p', {}, link(`sessions${query({ ...params, until: before })}`, 'Older sessions →'));
}

/** Plays [time, text] frames into a <pre>: text only, \r\n as new lines, backspace erases. */
function player(frames: [number, string][]): { node: HTMLElement; stop: () => void } {
  const screen = el('pre', { class: 'term', id: 'term' });
  const status = el('span', { id: 'player-status', class: 'muted' }, 'stopped');
  const speed = el('select', { id: 'player-speed' }, ...[1, 2, 5, 20].map((s) => el('option', { value: String(s) }, `${s}×`)));
  let timer: number | undefined;
  let i = 0;
  let text = '';
  const put = (data: string): void => {
    for (const ch of data.replace(/\r\n/g, '\n')) {
      if (ch === '\b') text = text.slice(0, -1);
      else if (ch !== '\r') text += ch;
    }
    screen.textContent = text;
    screen.scrollTop = screen.scrollHeight;
  };
  const step = (): void => {
    const f = frames[i];
    if (!f) {
      status.textContent = 'finished';
      play.textContent = 'Play';
      timer = undefined;
      return;
    }
    put(f[1]);
    i++;
    const next = frames[i];
    const gap = next ? Math.min(next[0] - f[0], 2) / Number(speed.value) : 0;
    timer = window.setTimeout(step, gap * 1000);
  };
  const play = button('Play', () => {
    if (timer !== undefined) {
      window.clearTimeout(timer);
      timer = undefined;
      status.textContent = 'paused';
      play.textContent = 'Play';
      return;
    }
    if (i >= frames.length) {
      i = 0;
      text = '';
    }
    status.textContent = 'playing';
    play.textContent = 'Pause';
    step();
  }, { id: 'player-play' });
  return { node: el('div', { id: 'player' }, el('div', { class: 'toolbar' }, play, speed, status), screen), stop: () => window.clearTimeout(timer) };
}

const session: Page = async (main, r) => {
  const id = r.arg ?? '';
  const s = await api<{ events: ApiaryEventJson[]; recording: boolean }>(`/api/sessions/${encodeURIComponent(id)}`);
  const first = s.events[0]!;
  const commands = s.events.filter((e) => e.type === 'command.input');
  const files = s.events.filter((e) => e.type === 'file.download' || e.type === 'file.upload');
  const logins = s.events.filter((e) => e.type === 'auth.attempt');
  let stop: (() => void) | undefined;
  const parts: Child[] = [
    el('h1', {}, 'Session ', el('code', {}, id)),
    el('p', { id: 'session-head' }, `${first.protocol} from ${first.src_ip} to port ${first.dst_port} on ${first.sensor}, ${fmtTime(first.time)}`),
    el('h2', {}, 'Logins'),
    table('session-logins', logins, [
      { title: 'time', value: (e) => fmtTime(e.time) },
      { title: 'user name', value: (e) => String(e.payload.username) },
      { title: 'password', value: (e) => String(e.payload.password ?? '') },
      { title: 'result', value: (e) => (e.payload.success ? 'accepted' : 'refused') },
    ]),
    el('h2', {}, 'Commands'),
    table('session-commands', commands, [
      { title: 'time', value: (e) => fmtTime(e.time) },
      { title: 'command', value: (e) => el('code', {}, String(e.payload.input)) },
    ]),
    el('h2', {}, 'Downloads and uploads'),
    table('session-files', files, [
      { title: 'time', value: (e) => fmtTime(e.time) },
      { title: 'what', value: (e) => String(e.payload.url ?? e.payload.filename ?? '') },
      { title: 'saved as', value: (e) => String(e.payload.path ?? '') },
      { title: 'SHA-256', value: (e) => String(e.payload.sha256 ?? '') },
      { title: 'outcome', value: (e) => String(e.payload.outcome ?? '') },
    ]),
  ];
  if (s.recording) {
    const rec = await api<{ frames: [number, string][] }>(`/api/sessions/${encodeURIComponent(id)}/recording`);
    const p = player(rec.frames);
    stop = p.stop;
    parts.push(el('h2', {}, 'Terminal recording'), p.node);
  }
  parts.push(
    el('h2', {}, 'Events'),
    table('session-events', s.events, [
      { title: 'time', value: (e) => fmtTime(e.time) },
      { title: 'type', value: (e) => e.type },
      { title: 'details', value: (e) => summary(e) },
    ]),
  );
  main.replaceChildren(...parts.filter((p): p is Node => p instanceof Node));
  return stop;
};

interface Incident {
  id: string;
  src_ip: string;
  scope: string;
  country: string | null;
  first_seen: string;
  last_seen: string;
  kind: string;
  severity: string;
  status: string;
  notes: { time: string; text: string }[];
  alerted_at: string | null;
}

const STATUSES = ['new', 'investigating', 'resolved', 'false_positive'];

const incidents: Page = async (main, r) => {
  const status = r.params.get('status') ?? '';
  const [list, alerts] = await Promise.all([api<Incident[]>(`/api/incidents${query({ status })}`), api<Incident[]>('/api/alerts')]);
  const pick = el('select', { id: 'incident-filter' }, el('option', { value: '' }, 'any status'), ...STATUSES.map((s) => el('option', { value: s }, s)));
  pick.value = status;
  pick.addEventListener('change', () => (location.hash = `#/incidents${query({ status: pick.value })}`));
  const editable = canChange('incidents');
  const actions = (i: Incident): Child => {
    if (!editable) return el('span', { class: 'muted' }, 'read only');
    const sel = el('select', { class: 'status-select', 'data-id': i.id }, ...STATUSES.map((s) => el('option', { value: s }, s)));
    sel.value = i.status;
    const note = input('note', 'note');
    const msg = el('span', { class: 'muted' });
    const save = button('Save', () => {
      const body: { status?: string; note?: string } = {};
      if (sel.value !== i.status) body.status = sel.value;
      if (note.value.trim()) body.note = note.value.trim();
      api<Incident>(`/api/incidents/${encodeURIComponent(i.id)}`, body)
        .then((u) => {
          i.status = u.status;
          msg.textContent = 'saved';
          msg.className = 'ok';
          note.value = '';
          notes.replaceChildren(...u.notes.map((n) => el('div', {}, `${fmtTime(n.time)}: ${n.text}`)));
          const cell = sel.closest('tr')?.querySelector('.incident-status');
          if (cell) cell.textContent = u.status;
        })
        .catch((err: unknown) => {
          msg.textContent = errorText(err);
          msg.className = 'error';
        });
    }, { class: 'save-incident' });
    const notes = el('div', {}, ...i.notes.map((n) => el('div', {}, `${fmtTime(n.time)}: ${n.text}`)));
    return el('div', {}, sel, note, save, msg, notes);
  };
  main.replaceChildren(
    el('h1', {}, 'Incidents'),
    el('div', { class: 'toolbar' }, pick),
    table('incidents-table', list, [
      { title: 'source', value: (i) => link(`sessions?src=${encodeURIComponent(i.src_ip)}`, i.src_ip) },
      { title: 'scope', value: (i) => i.scope },
      { title: 'country', value: (i) => i.country ?? '' },
      { title: 'kind', value: (i) => i.kind },
      { title: 'severity', value: (i) => i.severity },
      { title: 'status', value: (i) => el('span', { class: 'incident-status' }, i.status) },
      { title: 'first seen', value: (i) => fmtTime(i.first_seen) },
      { title: 'last seen', value: (i) => fmtTime(i.last_seen) },
      { title: 'change / notes', value: actions },
    ], 'no incidents'),
    el('h2', {}, 'Alert history'),
    table('alerts-table', alerts, [
      { title: 'alerted', value: (i) => fmtTime(i.alerted_at) },
      { title: 'source', value: (i) => i.src_ip },
      { title: 'kind', value: (i) => i.kind },
      { title: 'severity', value: (i) => i.severity },
    ], 'no alerts sent'),
  );
};

const malware: Page = async (main, r) => {
  const rows = await api<{ sha256: string; md5: string | null; size: number | null; type: string; urls: string[]; servers: { host: string; country: string | null }[]; sources: number; events: number; first_seen: string; last_seen: string; stored: boolean }[]>(`/api/malware${periodQuery(r)}`);
  const mayDownload = login()?.role !== 'viewer';
  main.replaceChildren(
    el('h1', {}, 'Malware'),
    periodForm(r, 'malware'),
    el('p', { class: 'muted' }, 'Downloads are ZIP archives encrypted with the password "infected".'),
    table('malware-table', rows, [
      { title: 'SHA-256', value: (m) => el('code', {}, m.sha256) },
      { title: 'MD5', value: (m) => m.md5 ?? '' },
      { title: 'type', value: (m) => m.type },
      { title: 'size', value: (m) => m.size ?? '', numeric: true },
      { title: 'source URLs', value: (m) => el('div', {}, ...m.urls.map((u) => el('div', {}, u))) },
      { title: 'servers', value: (m) => m.servers.map((s) => `${s.host}${s.country ? ` (${s.country})` : ''}`).join(', ') },
      { title: 'sources', value: (m) => m.sources, numeric: true },
      { title: 'first seen', value: (m) => fmtTime(m.first_seen) },
      { title: 'last seen', value: (m) => fmtTime(m.last_seen) },
      {
        title: 'file',
        value: (m) => {
          if (!m.stored || !mayDownload || !ISO_SHA256.test(m.sha256)) return m.stored ? 'stored' : 'not stored';
          const a = el('a', { class: 'zip', download: `${m.sha256}.zip` }, 'download .zip');
          a.href = `/api/malware/${m.sha256}/zip`;
          return a;
        },
      },
    ], 'no files captured'),
  );
};

const credentials: Page = async (main, r) => {
  const c = await api<{
    pairs: { username: string; password: string; attempts: number; successes: number; sources: number }[];
    usernames: { value: string; attempts: number }[];
    passwords: { value: string; attempts: number }[];
    honeytokens: { id: string; kind: string; username: string; secret_masked: string; locations: string[]; used: number; uses: { time: string; session: string; src_ip: string; protocol: string; type: string; how: string }[] }[];
  }>(`/api/credentials${periodQuery(r)}`);
  const valueCols = [
    { title: 'value', value: (x: { value: string }) => el('code', {}, x.value) },
    { title: 'attempts', value: (x: { attempts: number }) => x.attempts, numeric: true },
  ];
  main.replaceChildren(
    el('h1', {}, 'Credentials and honeytokens'),
    periodForm(r, 'credentials'),
    el('h2', {}, 'Top pairs'),
    table('cred-pairs', c.pairs, [
      { title: 'user name', value: (p) => el('code', {}, p.username) },
      { title: 'password', value: (p) => el('code', {}, p.password) },
      { title: 'attempts', value: (p) => p.attempts, numeric: true },
      { title: 'accepted', value: (p) => p.successes, numeric: true },
      { title: 'sources', value: (p) => p.sources, numeric: true },
    ]),
    el('div', { class: 'charts' }, el('div', {}, el('h2', {}, 'Top user names'), table('cred-usernames', c.usernames, valueCols)), el('div', {}, el('h2', {}, 'Top passwords'), table('cred-passwords', c.passwords, valueCols))),
    el('h2', {}, 'Honeytokens (decoy credentials) and their use'),
    table('honeytokens', c.honeytokens, [
      { title: 'kind', value: (t) => t.kind },
      { title: 'user name', value: (t) => el('code', {}, t.username) },
      { title: 'secret (masked)', value: (t) => el('code', {}, t.secret_masked) },
      { title: 'planted in', value: (t) => t.locations.join(', ') },
      { title: 'uses', value: (t) => t.used, numeric: true },
      {
        title: 'latest uses',
        value: (t) =>
          t.uses.length === 0
            ? el('span', { class: 'muted' }, 'never used')
            : el('div', { class: 'token-uses' }, ...t.uses.map((u) => el('div', {}, `${fmtTime(u.time)} ${u.src_ip} ${u.protocol} ${u.type === 'auth.attempt' ? 'login' : u.type} `, link(`session/${encodeURIComponent(u.session)}`, 'session')))),
      },
    ], 'no honeytokens planted'),
  );
};

const services: Page = async (main, r) => {
  const s = await api<{ services: { name: string; bound: { host: string; port: number }[]; enabled: boolean; switchable: boolean; limits: { idle_timeout_s: number; session_timeout_s: number } | null; open_connections: number }[]; ports: { port: number; protocol: string; served: number; unserved: number; sources: number }[] }>(`/api/services${periodQuery(r)}`);
  const admin = canChange('admin');
  main.replaceChildren(
    el('h1', {}, 'Ports and services'),
    periodForm(r, 'services'),
    table('services-table', s.services, [
      { title: 'service', value: (x) => x.name },
      { title: 'listening on', value: (x) => x.bound.map((b) => `${b.host}:${b.port}`).join(', ') },
      { title: 'state', value: (x) => el('span', { class: `badge ${x.enabled ? 'on' : 'off'}`, 'data-service': x.name }, x.enabled ? 'on' : 'off') },
      { title: 'open connections', value: (x) => x.open_connections, numeric: true },
      {
        title: 'switch',
        value: (x) => {
          if (!x.switchable) return el('span', { class: 'muted' }, 'fixed');
          if (!admin) return el('span', { class: 'muted' }, 'admins only');
          const msg = el('span', { class: 'error' });
          return el(
            'span',
            {},
            button(x.enabled ? 'Turn off' : 'Turn on', () => {
              api(`/api/services/${encodeURIComponent(x.name)}`, { enabled: !x.enabled })
                .then(() => services(main, r))
                .catch((err: unknown) => (msg.textContent = errorText(err)));
            }, { class: 'service-switch', 'data-service': x.name }),
            msg,
          );
        },
      },
      {
        title: 'idle / session limit (s)',
        value: (x) => {
          if (!x.limits) return el('span', { class: 'muted' }, 'fixed');
          if (!admin) return `${x.limits.idle_timeout_s} / ${x.limits.session_timeout_s}`;
          const idle = input('idle_timeout_s', 'idle', String(x.limits.idle_timeout_s), 'number');
          const total = input('session_timeout_s', 'session', String(x.limits.session_timeout_s), 'number');
          const msg = el('span', {});
          const save = button('Apply', () => {
            api(`/api/services/${encodeURIComponent(x.name)}/limits`, { idle_timeout_s: Number(idle.value), session_timeout_s: Number(total.value) })
              .then(() => {
                msg.textContent = 'applied';
                msg.className = 'ok';
              })
              .catch((err: unknown) => {
                msg.textContent = errorText(err);
                msg.className = 'error';
              });
          }, { class: 'service-limits', 'data-service': x.name });
          return el('span', { class: 'limits' }, idle, total, save, msg);
        },
      },
    ]),
    el('h2', {}, 'Connections per port: served vs unserved'),
    el('div', { class: 'charts' }, chart('chart-ports', 'ports.svg', r, 'connections per port')),
    table('ports-table', s.ports, [
      { title: 'port', value: (p) => p.port, numeric: true },
      { title: 'protocol', value: (p) => p.protocol },
      { title: 'served connections', value: (p) => p.served, numeric: true },
      { title: 'unserved probes', value: (p) => p.unserved, numeric: true },
      { title: 'source IPs', value: (p) => p.sources, numeric: true },
    ]),
  );
};

const reports: Page = async (main, r) => {
  // The downloads would each be the server's refusal of a bad period: ask it once, before offering them.
  await api<{ from: string | null; to: string | null }>(`/api/period${periodQuery(r)}`);
  const links = ['html', 'json', 'csv'].map((f) => {
    const a = el('a', { class: 'report-link', download: `apiary-report.${f}` }, `Download ${f.toUpperCase()}`);
    a.href = `/api/reports/${f}${periodQuery(r)}`;
    return el('li', {}, a);
  });
  const exports = [
    ['stix', 'STIX 2.1 bundle'],
    ['misp', 'MISP event'],
  ].map(([f, label]) => {
    const a = el('a', { class: 'export-link', download: `apiary-${f}.json` }, `Download ${label}`);
    a.href = `/api/exports/${f}${periodQuery(r)}`;
    return el('li', {}, a);
  });
  main.replaceChildren(
    el('h1', {}, 'Reports'),
    el('p', {}, 'The tracking report (the paper\u2019s figures, countries, internal hosts, credentials, commands, malware) for a period.'),
    periodForm(r, 'reports'),
    el('ul', { id: 'report-links' }, ...links),
    el('h2', {}, 'Indicators to share'),
    el('p', {}, 'Attacking addresses, file hashes, URLs and ATT&CK techniques of the period, TLP:AMBER, for MISP, OpenCTI or a TAXII server. The organisation\u2019s own addresses are left out.'),
    el('ul', { id: 'export-links' }, ...exports),
  );
};

const sqlConsole: Page = async (main) => {
  const text = el('textarea', { class: 'sql', id: 'sql', name: 'sql' });
  text.value = 'SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY n DESC';
  const out = el('div', { id: 'sql-result' });
  const run = button('Run', () => {
    out.replaceChildren(el('p', { class: 'muted' }, 'running…'));
    api<{ columns: string[]; rows: unknown[][]; truncated: boolean; ms: number }>('/api/query', { sql: text.value })
      .then((res) =>
        out.replaceChildren(
          el('p', { class: 'muted' }, `${res.rows.length} rows${res.truncated ? ' (cut at the row cap)' : ''}, ${res.ms} ms`),
          table('sql-table', res.rows, res.columns.map((c, i) => ({ title: c, value: (row: unknown[]) => (row[i] === null ? 'NULL' : String(row[i])) }))),
        ),
      )
      .catch((err: unknown) => out.replaceChildren(el('p', { class: 'error', id: 'sql-error' }, errorText(err))));
  }, { id: 'sql-run' });
  main.replaceChildren(el('h1', {}, 'Query'), el('p', { class: 'muted' }, 'Read-only SQL over the store, with a time limit and a row cap.'), text, el('div', { class: 'toolbar' }, run), out);
};

/** Remove and set-password buttons for one account; either ends its open sessions. */
function userActions(username: string, msg: HTMLElement, done: () => void): HTMLElement {
  const send = (path: string, body: unknown): void =>
    void api(`/api/users/${encodeURIComponent(username)}/${path}`, body)
      .then(done)
      .catch((err: unknown) => (msg.textContent = errorText(err)));
  return el(
    'span',
    {},
    button('Remove', () => confirm(`Remove the account ${visible(username)}? Its open sessions end.`) && send('delete', {}), { class: 'user-delete' }),
    ' ',
    button('Set password', () => {
      const password = prompt(`New password for ${visible(username)} (12+ characters); its open sessions end.`);
      if (password !== null) send('password', { password });
    }, { class: 'user-password' }),
  );
}

const users: Page = async (main) => {
  const [list, audit] = await Promise.all([api<{ username: string; role: string; created_at: string }[]>('/api/users'), api<{ time: string; user: string; action: string; target: string; detail?: string; ip: string }[]>('/api/audit')]);
  const name = input('new-username', 'user name');
  const pass = input('new-password', 'password (12+)', '', 'password');
  const role = el('select', { name: 'new-role' }, ...['viewer', 'analyst', 'admin'].map((r) => el('option', { value: r }, r)));
  const msg = el('span', { class: 'error', id: 'user-error' });
  const form = el('form', { class: 'inline', id: 'user-form' }, name, pass, role, el('button', { type: 'submit' }, 'Add user'), msg);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    api('/api/users', { username: name.value, password: pass.value, role: role.value })
      .then(() => users(main, route()))
      .catch((err: unknown) => (msg.textContent = errorText(err)));
  });
  main.replaceChildren(
    el('h1', {}, 'Users'),
    table('users-table', list, [
      { title: 'user', value: (u) => u.username },
      { title: 'role', value: (u) => u.role },
      { title: 'created', value: (u) => fmtTime(u.created_at) },
      { title: '', value: (u) => userActions(u.username, msg, () => void users(main, route())) },
    ]),
    form,
    el('h2', {}, 'Audit log'),
    table('audit-table', audit, [
      { title: 'time', value: (a) => fmtTime(a.time) },
      { title: 'user', value: (a) => a.user },
      { title: 'action', value: (a) => a.action },
      { title: 'target', value: (a) => a.target },
      { title: 'detail', value: (a) => a.detail ?? '' },
      { title: 'from', value: (a) => a.ip },
    ]),
  );
};

interface ChainRow {
  id: string;
  score: number;
  first_seen: string;
  last_seen: string;
  sources: string[];
  services: string[];
  techniques: string[];
  intents: string[];
  links: number;
  events: number;
}

const chains: Page = async (main) => {
  const rows = await api<ChainRow[]>('/api/chains');
  main.replaceChildren(
    el('h1', {}, 'Attack chains'),
    table('chains-table', rows, [
      { title: 'chain', value: (x) => link(`chain/${encodeURIComponent(x.id)}`, x.id.slice(0, 12)) },
      { title: 'APT score', value: (x) => x.score, numeric: true },
      { title: 'sources', value: (x) => x.sources.join(', ') },
      { title: 'services', value: (x) => x.services.join(', ') },
      { title: 'techniques', value: (x) => x.techniques.join(', ') },
      { title: 'intents', value: (x) => x.intents.join(', ') },
      { title: 'links', value: (x) => x.links, numeric: true },
      { title: 'events', value: (x) => x.events, numeric: true },
      { title: 'first seen', value: (x) => fmtTime(x.first_seen) },
      { title: 'last seen', value: (x) => fmtTime(x.last_seen) },
    ], 'no attack chains yet'),
  );
};

interface ChainFull {
  id: string;
  score: number;
  factors: Record<string, { points: number; explanation: string }>;
  first_seen: string;
  last_seen: string;
  links: { type: string; from: string; to: string; explanation: string; evidence: string[] }[];
  steps: { time: string; src_ip: string; service: string; sensor: string; technique: string | null; summary: string }[];
  intents: { name: string; evidence: { detail: string }[] }[];
  matrix: { tactic: string; techniques: { id: string; name: string; evidence: string[] }[] }[];
  events: number;
}

const chain: Page = async (main, r) => {
  const id = r.arg ?? '';
  const c = await api<ChainFull>(`/api/chains/${encodeURIComponent(id)}`);
  const graph = el('img', { id: 'chain-graph', alt: 'hosts and services linked in this chain' });
  graph.src = `/api/chains/${encodeURIComponent(id)}/graph.svg`;
  const matrix = el(
    'table',
    { id: 'attack-matrix' },
    el('thead', {}, el('tr', {}, ...c.matrix.map((col) => el('th', {}, col.tactic)))),
    el('tbody', {}, el('tr', {}, ...c.matrix.map((col) => el('td', {}, ...col.techniques.map((t) => el('div', { class: 'badge', title: t.evidence.join('\n') }, `${t.id} ${t.name}`)))))),
  );
  main.replaceChildren(
    el('h1', {}, 'Attack chain ', el('code', {}, c.id.slice(0, 16))),
    el('p', { id: 'chain-head' }, `APT score ${c.score}, ${c.events} events, ${fmtTime(c.first_seen)} to ${fmtTime(c.last_seen)}`),
    table('chain-factors', Object.entries(c.factors), [
      { title: 'factor', value: ([k]) => k },
      { title: 'points', value: ([, f]) => f.points, numeric: true },
      { title: 'why', value: ([, f]) => f.explanation },
    ]),
    el('h2', {}, 'Linked hosts and services'),
    el('div', { class: 'charts' }, graph),
    el('h2', {}, 'Evidence for each link'),
    table('chain-links', c.links, [
      { title: 'link', value: (l) => l.type },
      { title: 'from', value: (l) => l.from },
      { title: 'to', value: (l) => l.to },
      { title: 'why', value: (l) => l.explanation },
      { title: 'evidence', value: (l) => el('div', {}, ...l.evidence.map((e) => el('div', {}, e))) },
    ], 'a single source: no links'),
    el('h2', {}, 'ATT&CK techniques'),
    c.matrix.length ? matrix : el('p', { class: 'muted' }, 'no technique tagged'),
    el('h2', {}, 'Intents'),
    table('chain-intents', c.intents, [
      { title: 'intent', value: (i) => i.name },
      { title: 'evidence', value: (i) => el('div', {}, ...i.evidence.map((e) => el('div', {}, e.detail))) },
    ], 'none recognised'),
    el('h2', {}, 'Timeline'),
    table('chain-steps', c.steps, [
      { title: 'time', value: (s) => fmtTime(s.time) },
      { title: 'source', value: (s) => s.src_ip },
      { title: 'service', value: (s) => s.service },
      { title: 'technique', value: (s) => s.technique ?? '' },
      { title: 'what', value: (s) => s.summary },
    ]),
  );
};

export const PAGES: Record<string, Page> = {
  overview: withPeriod('overview', overview), live, sessions, session, chains, chain, incidents,
  malware: withPeriod('malware', malware), credentials: withPeriod('credentials', credentials), services: withPeriod('services', services),
  reports: withPeriod('reports', reports), query: sqlConsole, users,
};
