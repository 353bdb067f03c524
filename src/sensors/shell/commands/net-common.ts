// What the download commands share: URL parsing, saving into the virtual filesystem, and the
// failure messages a server with filtered outbound traffic shows.
import { posix } from 'node:path';
import { isIP } from 'node:net';
import type { CommandContext, DownloadResult, ShellApi } from '../types.js';

export interface Target {
  scheme: string;
  host: string;
  port: number;
  path: string;
  url: string;
}

/** Parses what the attacker typed as a URL (adding http:// as wget does). */
export function parseTarget(raw: string, defaultScheme = 'http'): Target | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `${defaultScheme}://${raw}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    return undefined;
  }
  const scheme = u.protocol.replace(/:$/, '');
  const defaults: Record<string, number> = { http: 80, https: 443, ftp: 21, tftp: 69 };
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) return undefined;
  return { scheme, host, port: u.port ? Number(u.port) : (defaults[scheme] ?? 80), path: u.pathname + u.search, url: u.toString() };
}

export function isAddress(host: string): boolean {
  return isIP(host) !== 0;
}

/** The file name wget/curl -O would use for TARGET. */
export function remoteName(t: Target): string {
  const base = posix.basename(t.path.split('?')[0] ?? '');
  return base || 'index.html';
}

/** Saves DATA at PATH (relative to cwd); returns the error line, if any. */
export function save(ctx: CommandContext, path: string, data: Buffer, tool: string): string | undefined {
  const abs = ctx.sh.resolve(path);
  const e = ctx.sh.vfs.writeFile(abs, data, { mode: 0o644 });
  if (e) return `${tool}: ${path}: ${e === 'ENOSPC' ? 'No space left on device' : e === 'EACCES' ? 'Permission denied' : 'No such file or directory'}`;
  return undefined;
}

/** How long a refused or unanswered connection takes to fail, shortened so sessions do not stall. */
export const FAIL_DELAY_MS = 2500;

export async function fetchVia(ctx: CommandContext, tool: string, t: Target, path: string | undefined): Promise<DownloadResult> {
  const hook = ctx.sh.hooks.download;
  if (!hook) return { ok: false, error: 'disabled' };
  return hook({ url: t.url, tool, ...(path !== undefined ? { path: ctx.sh.resolve(path) } : {}) });
}

export function sizeText(n: number): string {
  if (n < 1024) return `${n}`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)}K`;
  return `${(n / 1048576).toFixed(1)}M`;
}

/** Fetch outcomes that mean the sensor's policy did not try (off, a private address, the rate): the fake host answers for itself. */
export const REFUSED_BY_POLICY: ReadonlySet<string> = new Set(['disabled', 'refused', 'rate', 'resolve']);

/** Where Debian's web servers serve files from. */
const WEB_ROOT = '/var/www/html';

/** The web servers a host's daemon list may hold: a connection to their port gets a page. */
const WEB_DAEMONS: ReadonlySet<string> = new Set(['apache2', 'nginx', 'mini_httpd']);

/**
 * The addresses HOST has on the fake machine itself, as its /etc/hosts resolves them (localhost to ::1
 * and 127.0.0.1, the host's own name to 127.0.1.1), or undefined when HOST is another machine.
 */
export function localAddresses(sh: ShellApi, host: string): string[] | undefined {
  const h = host.toLowerCase();
  const p = sh.profile;
  if (h === 'localhost' || h === 'localhost.localdomain') return ['::1', '127.0.0.1'];
  if (h === 'ip6-localhost' || h === 'ip6-loopback') return ['::1'];
  if (h === p.hostname.toLowerCase() || h === `${p.hostname}.${p.domain}`.toLowerCase()) return ['127.0.1.1'];
  if (h === '::1' || h === '0.0.0.0' || h === p.net.ipv4 || (isIP(h) === 4 && h.startsWith('127.'))) return [h];
  return undefined;
}

/** What a connection to the fake machine itself finds (at ADDRESSES, as /etc/hosts resolves it): no daemon on the port, or its web server's answer. */
export type LocalAnswer = { addresses: string[] } & ({ kind: 'refused' } | { kind: 'page'; status: number; reason: string; body: Buffer; type: string });

/**
 * What fetching T finds when T is the fake machine itself, which the fetch policy never reaches (it
 * refuses loopback and private addresses): a closed port refuses at once, as a real host's does
 * (a 2.5 s time-out to its own loopback gave the honeypot away); the host's web server answers from
 * /var/www/html, what `cat` shows, with its own error page for a missing file. Undefined when T is
 * another machine or a daemon other than a web server listens there (then the caller fails as before).
 */
export function localAnswer(sh: ShellApi, t: Target): LocalAnswer | undefined {
  const addresses = localAddresses(sh, t.host);
  if (!addresses) return undefined;
  const daemon = sh.profile.daemons.find((d) => d.sockets.some((s) => s.proto === 'tcp' && s.port === t.port));
  if (!daemon) return { kind: 'refused', addresses };
  if (!WEB_DAEMONS.has(daemon.kind) || t.scheme !== 'http' || !sh.profile.web) return undefined;
  const path = decodeURIComponentSafe(t.path.split('?')[0] ?? '/');
  const file = posix.normalize(path.endsWith('/') ? `${WEB_ROOT}${path}index.html` : `${WEB_ROOT}${path}`);
  const data = file.startsWith(`${WEB_ROOT}/`) ? sh.vfs.readFile(file) : undefined;
  if (Buffer.isBuffer(data)) return { kind: 'page', addresses, status: 200, reason: 'OK', body: data, type: 'text/html' };
  const body = sh.profile.web.errorPage(404, isIP(t.host) === 6 ? `[${t.host}]` : t.host, t.port);
  return { kind: 'page', addresses, status: 404, reason: 'Not Found', body: Buffer.from(body, 'latin1'), type: 'text/html; charset=iso-8859-1' };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
