// Records what a statement sent to a decoy database did: the `query` event, the attack moves in it
// (`exploit.attempt`, payloads to quarantine, `file.upload` for files written through the server),
// and the downloads its command lines name.
import type { SessionEmitter } from '../../events/emitter.js';
import { takeUrls } from '../runtime/capture.js';
import { flatCopy } from '../../wire/flat-copy.js';
import { detectMssqlAttacks, detectMysqlAttacks, urlsIn, type AttackMove } from './attacks.js';
import type { FileWrite } from './engine.js';
import type { PayloadStore } from './payload-store.js';

/** Longest statement text kept on a `query` event (payloads inside longer ones go to quarantine). */
export const MAX_QUERY_EVENT_CHARS = 64 * 1024;

export interface StatementRecord {
  text: string;
  database: string | undefined;
  dialect: 'mysql' | 'tsql';
  files?: readonly FileWrite[];
  /**
   * Fetches the URLs a statement's command lines name, at most MAX_URLS_PER_REQUEST (the shared fetch
   * policy: off by default, then recorded as `disabled`), and records one `file.download` each;
   * without it the URLs are recorded as not fetched.
   */
  fetchUrls?: (urls: readonly string[]) => void;
}

/**
 * A statement's text as its query event keeps it: cut at MAX_QUERY_EVENT_CHARS, and a copy (a
 * statement is often a view into its whole packet, up to 16 MiB, which an event queued while the
 * store is down would otherwise keep alive).
 */
export function clipQuery(s: string): string {
  return flatCopy(s.length > MAX_QUERY_EVENT_CHARS ? `${s.slice(0, MAX_QUERY_EVENT_CHARS)}... [${s.length} chars]` : s);
}

/** Emits the events for one statement; returns the attack moves found (callers shape their answer on them). */
export function recordStatement(emitter: SessionEmitter, payloads: PayloadStore, r: StatementRecord): AttackMove[] {
  emitter.emit('query', { query: clipQuery(r.text), ...(r.database !== undefined ? { database: r.database } : {}) });
  const moves = r.dialect === 'mysql' ? detectMysqlAttacks(r.text) : detectMssqlAttacks(r.text);
  const written = [...(r.files ?? [])];
  const urls = new Set<string>();
  for (const m of moves) {
    let sha256: string | undefined;
    // A file written through the server: keep what it would have contained.
    const file = m.name === 'mysql.into_outfile' || m.name === 'mysql.into_dumpfile' ? written.shift() : undefined;
    const data = file?.data ?? m.payload;
    if (data && data.length > 0) {
      const stored = payloads.put(data);
      sha256 = stored.sha256;
      if (file) {
        emitter.emit('file.upload', { filename: file.path.slice(0, 1024), sha256: stored.sha256, size: stored.size, outcome: stored.outcome });
      }
    }
    emitter.emit('exploit.attempt', { name: m.name, detail: m.detail, ...(sha256 ? { sha256 } : {}) });
    for (const cmd of m.commands ?? []) {
      emitter.emit('command.input', { input: cmd, known: true });
      for (const url of urlsIn(cmd)) urls.add(url);
    }
  }
  if (urls.size > 0) {
    const taken = takeUrls(emitter, [...urls]);
    if (r.fetchUrls) r.fetchUrls(taken);
    else for (const url of taken) emitter.emit('file.download', { url, outcome: 'disabled', reason: 'named in a database command; no fetcher configured' });
  }
  return moves;
}
