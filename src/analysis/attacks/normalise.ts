// Masks the variable parts of attacker commands (addresses, URLs, numbers, random names) so that the
// same script run from two hosts gives the same sequence hash, and reads URLs out of free text.
import { createHash } from 'node:crypto';

/** Commands longer than this are cut before masking (keeps the regexes linear and cheap). */
export const MAX_COMMAND_CHARS = 2048;
/** Most URLs read from one text. */
export const MAX_URLS = 8;

export function normaliseCommand(input: string): string {
  return input
    .slice(0, MAX_COMMAND_CHARS)
    .replace(/\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s'"`;|&<>]+/gi, '<url>')
    .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, '<ip>')
    .replace(/\b[0-9a-f]{8,}\b/gi, '<hex>')
    .replace(/\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{10,}\b/g, '<id>')
    .replace(/\d+/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}

export function hashOf(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 24);
}

const URL_RE = /\b(?:https?|ftp|tftp):\/\/[^\s'"`;|&<>()]{1,2000}/gi;

/** URLs written in TEXT (commands, queries, shellcode strings). */
export function urlsIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.slice(0, MAX_COMMAND_CHARS * 4).matchAll(URL_RE)) {
    if (out.length >= MAX_URLS) break;
    if (!out.includes(m[0])) out.push(m[0]);
  }
  return out;
}

/** The host part of URL (lower case, without port), or undefined when it does not parse. */
export function urlHost(url: string): string | undefined {
  if (url.length > 4096) return undefined;
  try {
    const host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
    return host.length > 0 && host.length <= 253 ? host : undefined;
  } catch {
    // wget accepts "host/path" without a scheme; so do attackers.
    const m = /^([a-z0-9.-]{1,253})(?::\d+)?\//i.exec(url);
    return m?.[1]?.toLowerCase();
  }
}

/** The /24 of an IPv4 address (or the /48 of an IPv6 one), for "same network" tests. */
export function networkOf(ip: string): string | undefined {
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (ip.includes(':')) {
    const groups = ip.split(':').slice(0, 3);
    if (groups.length === 3 && groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return `${groups.join(':').toLowerCase()}::/48`;
  }
  return undefined;
}
