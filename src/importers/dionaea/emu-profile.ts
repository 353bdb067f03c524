// Reads Dionaea's libemu shellcode profile (a JSON array of {call, args, return}) into what the
// shellcode would do: URLs it fetches, command lines it runs, a bind or connect-back shell.
import type { Payload } from '../../events/catalogue.js';
import { trimTrailing } from '../../wire/text.js';

/** Longest profile text parsed; a longer one is cut (its calls past the cut are not read). */
export const MAX_PROFILE_CHARS = 1024 * 1024;
/** Most URLs / commands kept from one profile. */
export const MAX_PROFILE_ITEMS = 64;

const URL_RE = /\b(?:https?|ftp|tftp):\/\/[^\s"'<>]{1,2048}/gi;

export function decodeEmuProfile(json: string): Payload<'shellcode.detected'> {
  const out: Payload<'shellcode.detected'> = { urls: [], commands: [] };
  let calls: unknown;
  try {
    calls = JSON.parse(json.slice(0, MAX_PROFILE_CHARS));
  } catch {
    calls = undefined;
  }
  const urls = new Set<string>();
  const commands = new Set<string>();
  if (Array.isArray(calls)) {
    for (const c of calls) {
      if (!c || typeof c !== 'object') continue;
      const call = String((c as { call?: unknown }).call ?? '');
      const args = (c as { args?: unknown }).args;
      const list = Array.isArray(args) ? args : [];
      if (/^(WinExec|CreateProcess[AW]?|system|ShellExecute[AW]?)$/.test(call)) {
        const cmd = list.find((a) => typeof a === 'string' && a.trim() !== '' && !/^\d+$/.test(a));
        if (typeof cmd === 'string' && commands.size < MAX_PROFILE_ITEMS) commands.add(cmd);
      }
      if (call === 'bind') {
        const port = portOf(list[1]);
        if (port !== undefined) out.bind_port = port;
      }
      if (call === 'connect') {
        const port = portOf(list[1]);
        const host = hostOf(list[1]);
        if (host && port !== undefined) out.connect_back = `${host}:${port}`;
      }
    }
  }
  // URLs wherever they appear (URLDownloadToFile, command lines, raw strings of an unparsable profile).
  for (const m of json.slice(0, MAX_PROFILE_CHARS).matchAll(URL_RE)) {
    if (urls.size >= MAX_PROFILE_ITEMS) break;
    urls.add(trimTrailing(m[0], '\\'));
  }
  out.urls = [...urls];
  out.commands = [...commands];
  return out;
}

function portOf(v: unknown): number | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const p = Number((v as { sin_port?: unknown }).sin_port);
  return Number.isInteger(p) && p >= 0 && p <= 65535 ? p : undefined;
}

function hostOf(v: unknown): string | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const a = (v as { sin_addr?: unknown }).sin_addr;
  const s = a && typeof a === 'object' ? (a as { s_addr?: unknown }).s_addr : a;
  return typeof s === 'string' && s.length <= 64 ? s : undefined;
}
