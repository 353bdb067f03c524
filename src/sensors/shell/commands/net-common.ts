// What the download commands share: URL parsing, saving into the virtual filesystem, and the
// failure messages a server with filtered outbound traffic shows.
import { posix } from 'node:path';
import { isIP } from 'node:net';
import type { CommandContext, DownloadResult } from '../types.js';

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
