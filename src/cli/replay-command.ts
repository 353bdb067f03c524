// `apiary replay SESSION`: plays a session's asciicast recording in the terminal, at its real pace
// or faster. Only the sequences a terminal needs to draw (text, CR/LF/BS/TAB, CSI cursor and colour
// sequences) reach the operator's terminal; everything else an attacker could have sent (OSC titles
// and hyperlinks, DCS, other controls) is dropped.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiaryError } from '../errors/errors.js';
import { loadConfig } from '../config/load.js';
import { parseFlags } from './flags.js';

/** Longest pause replayed by default, in seconds (longer idle gaps are shortened to this). */
export const DEFAULT_MAX_IDLE_S = 2;
/** Largest recording replayed (the recorder caps them lower by default). */
export const MAX_REPLAY_BYTES = 256 * 1024 * 1024;

/** Keeps printable text, \r \n \b \t, and CSI sequences (ESC [ params final); drops other controls. */
export function safeTerminalText(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x1b) {
      if (s[i + 1] === '[') {
        const m = /^\x1b\[[0-9;?]{0,32}[ -\/]{0,2}[@-~]/.exec(s.slice(i, i + 40));
        if (m && !/[\x00-\x1f]/.test(m[0].slice(1))) {
          out += m[0];
          i += m[0].length - 1;
          continue;
        }
      }
      if (s[i + 1] === ']' || s[i + 1] === 'P' || s[i + 1] === '_' || s[i + 1] === '^') {
        // Skip the string up to its terminator (BEL or ESC \).
        const end = s.slice(i + 2).search(/\x07|\x1b\\/);
        i = end < 0 ? s.length : i + 2 + end + (s[i + 2 + end] === '\x07' ? 0 : 1);
        continue;
      }
      i++;
      continue;
    }
    if (c === 0x0a || c === 0x0d || c === 0x08 || c === 0x09) out += s[i];
    else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f)) continue;
    else out += s[i];
  }
  return out;
}

export interface CastEvent {
  t: number;
  kind: string;
  data: string;
}

/** Parses asciicast v2 text; bad lines are skipped. */
export function parseCast(text: string): { header: Record<string, unknown>; events: CastEvent[] } {
  const lines = text.split('\n');
  let header: Record<string, unknown> = {};
  try {
    const h: unknown = JSON.parse(lines[0] ?? '');
    if (h && typeof h === 'object' && (h as { version?: unknown }).version === 2) header = h as Record<string, unknown>;
    else throw new Error('not v2');
  } catch {
    throw new ApiaryError('APIARY_CLI_USAGE', 'the recording is not an asciicast v2 file');
  }
  const events: CastEvent[] = [];
  for (const l of lines.slice(1)) {
    if (!l) continue;
    try {
      const v: unknown = JSON.parse(l);
      if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string' && typeof v[2] === 'string') events.push({ t: v[0], kind: v[1], data: v[2] });
    } catch {
      /* a line cut by a crash */
    }
  }
  return { header, events };
}

export async function runReplay(args: string[], write: (s: string) => void = (s) => void process.stdout.write(s)): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    config: { type: 'string', short: 'c' },
    speed: { type: 'string', short: 's' },
    'max-idle': { type: 'string' },
    instant: { type: 'boolean' },
  });
  const session = positionals[0];
  if (!session || positionals.length !== 1 || !/^[0-9a-zA-Z_-]{4,64}$/.test(session)) {
    throw new ApiaryError('APIARY_CLI_USAGE', 'usage: apiary replay SESSION [--speed N] [--max-idle SECONDS] [--instant] (SESSION as shown by apiary events; a unique prefix is enough)');
  }
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (!Number.isFinite(speed) || speed <= 0 || speed > 1000) throw new ApiaryError('APIARY_CLI_USAGE', `--speed: expected a number between 0 and 1000, got ${JSON.stringify(values.speed)}`);
  const maxIdle = values['max-idle'] === undefined ? DEFAULT_MAX_IDLE_S : Number(values['max-idle']);
  if (!Number.isFinite(maxIdle) || maxIdle < 0) throw new ApiaryError('APIARY_CLI_USAGE', `--max-idle: expected seconds, got ${JSON.stringify(values['max-idle'])}`);
  const { config } = loadConfig(values.config, { checkDataDir: false });
  const dir = join(config.data_dir, 'recordings');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.cast') && n.startsWith(session));
  } catch {
    names = [];
  }
  if (names.length === 0) throw new ApiaryError('APIARY_CLI_USAGE', `no recording for session ${session} in ${dir} (sessions without a shell have none)`);
  if (names.length > 1) throw new ApiaryError('APIARY_CLI_USAGE', `session prefix ${session} matches ${names.length} recordings; give more of it`);
  const buf = readFileSync(join(dir, names[0]!));
  if (buf.length > MAX_REPLAY_BYTES) throw new ApiaryError('APIARY_CLI_USAGE', `recording ${names[0]} is larger than ${MAX_REPLAY_BYTES} bytes`);
  const { events } = parseCast(buf.toString('utf8'));
  let last = 0;
  for (const e of events) {
    if (e.kind !== 'o') continue;
    const gap = Math.min(e.t - last, maxIdle) / speed;
    last = e.t;
    if (!values.instant && gap > 0) await new Promise((r) => setTimeout(r, gap * 1000));
    write(safeTerminalText(e.data));
  }
  write('\r\n');
  return 0;
}
