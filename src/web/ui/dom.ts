// DOM helpers for the dashboard client. Text always goes in as text nodes (never innerHTML), so an
// attacker's string shows as the characters it is, whatever markup it holds.

export type Child = Node | string | number | null | undefined | false;

/**
 * Characters that change how the text around them shows without showing themselves: C1 controls,
 * bidirectional overrides and isolates (an attacker's "rm -rf /" can read as something else), zero-width
 * characters and the byte-order mark.
 */
const HIDDEN = /[\x80-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * Control characters (an attacker's ANSI escapes, NULs) as their visible Unicode pictures (ESC as ␛),
 * and the HIDDEN ones as their code points (⟨U+202E⟩).
 */
export function visible(s: string): string {
  return s
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => String.fromCharCode(c === '\x7f' ? 0x2421 : 0x2400 + c.charCodeAt(0)))
    .replace(HIDDEN, (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(visible(String(c))) : c);
  }
  return e;
}

/** A link inside the dashboard (hash route): the target is built from our own route names only. */
export function link(route: string, text: Child): HTMLAnchorElement {
  const a = el('a', {}, text);
  a.href = `#/${route}`;
  return a;
}

export interface Column<T> {
  title: string;
  value: (row: T) => Child;
  numeric?: boolean;
}

export function table<T>(id: string, rows: readonly T[], columns: readonly Column<T>[], empty = 'nothing yet'): HTMLElement {
  if (rows.length === 0) return el('p', { id, class: 'muted' }, empty);
  return el(
    'table',
    { id },
    el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', {}, c.title)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...columns.map((c) => el('td', c.numeric ? { class: 'num' } : {}, c.value(r)))))),
  );
}

export interface Login {
  username: string;
  role: 'admin' | 'analyst' | 'viewer';
  csrf: string;
}

let current: Login | undefined;

export function setLogin(l: Login | undefined): void {
  current = l;
}

export function login(): Login | undefined {
  return current;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Calls the API; changes carry the session's CSRF token. */
export async function api<T>(path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.method = 'POST';
    init.headers = { 'content-type': 'application/json', ...(current ? { 'x-csrf-token': current.csrf } : {}) };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const data: unknown = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, (data as { error?: string }).error ?? `HTTP ${res.status}`);
  return data as T;
}

export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Routes are "#/name/arg?k=v". */
export function route(): { name: string; arg: string | undefined; params: URLSearchParams } {
  const h = location.hash.replace(/^#\/?/, '');
  const [path, q] = h.split('?', 2) as [string, string | undefined];
  const [name, ...rest] = path.split('/');
  return { name: name || 'overview', arg: rest.length ? decodeURIComponent(rest.join('/')) : undefined, params: new URLSearchParams(q ?? '') };
}

export function fmtTime(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '';
}

export function input(name: string, placeholder: string, value = '', type = 'text'): HTMLInputElement {
  const i = el('input', { name, placeholder, type });
  i.value = value;
  return i;
}

export function button(text: string, onClick: (ev: MouseEvent) => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = el('button', { type: 'button', ...attrs }, text);
  b.addEventListener('click', onClick);
  return b;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
