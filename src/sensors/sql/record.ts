// Records what a statement sent to a decoy database did: the `query` event, the attack moves in it
// (`exploit.attempt`, payloads to quarantine, `file.upload` for files written through the server),
// and the downloads its command lines name.
import type { SessionEmitter } from '../../events/emitter.js';
import { takeUrls } from '../runtime/capture.js';
import { flatCopy } from '../../wire/flat-copy.js';
import { detectMssqlAttacks, detectMysqlAttacks, urlsIn, type AttackMove } from './attacks.js';
import type { FileWrite } from './engine.js';
import type { PayloadStore, StoredPayload } from './payload-store.js';

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

/**
 * Sessions with a statement whose events wait for its payloads to be stored: a later statement's
 * events wait behind it, so a session's events keep the order of its statements.
 */
const waiting = new WeakMap<SessionEmitter, Promise<void>>();

/** What one move's events need (its file's name, when it wrote one), without its payload. */
interface MoveRecord {
  name: string;
  detail: string;
  commands: readonly string[] | undefined;
  filename: string | undefined;
}

/**
 * Emits the events for one statement; returns the attack moves found (callers shape their answer on
 * them, at once). A statement carrying payloads (a file written through the server, a binary sent as
 * hex) has them stored first: its `file.upload` and `exploit.attempt` come once the quarantine has
 * them, with their hashes.
 */
export function recordStatement(emitter: SessionEmitter, payloads: PayloadStore, r: StatementRecord): AttackMove[] {
  const query = { query: clipQuery(r.text), ...(r.database !== undefined ? { database: r.database } : {}) };
  const moves = r.dialect === 'mysql' ? detectMysqlAttacks(r.text) : detectMssqlAttacks(r.text);
  const written = [...(r.files ?? [])];
  const puts: (Promise<StoredPayload> | undefined)[] = [];
  // What the events need once the payloads are stored: neither the payloads nor the statement (up to
  // 16 MiB) are kept while a statement waits behind a slow store, so the quarantine's bound on what
  // stores in progress hold (MAX_PENDING_STORE_BYTES) is what they hold.
  const steps: MoveRecord[] = moves.map((m) => {
    // A file written through the server: keep what it would have contained.
    const file = m.name === 'mysql.into_outfile' || m.name === 'mysql.into_dumpfile' ? written.shift() : undefined;
    const data = file?.data ?? m.payload;
    puts.push(data && data.length > 0 ? payloads.put(data) : undefined);
    return { name: m.name, detail: m.detail, commands: m.commands, filename: file?.path.slice(0, 1024) };
  });
  const fetchUrls = r.fetchUrls;
  const before = waiting.get(emitter);
  if (!before) emitter.emit('query', query);
  if (!before && puts.every((p) => p === undefined)) {
    recordMoves(emitter, steps, [], fetchUrls);
    return moves;
  }
  const record = async (): Promise<void> => {
    if (before) emitter.emit('query', query);
    recordMoves(emitter, steps, await Promise.all(puts), fetchUrls);
  };
  // After the statement before, however that ended: one that failed does not silence the rest.
  const done = (before ?? Promise.resolve()).then(record, record);
  waiting.set(emitter, done);
  // The connection's close waits for this statement's events.
  emitter.hold?.(done);
  const settled = (): void => {
    if (waiting.get(emitter) === done) waiting.delete(emitter);
  };
  done.then(settled, settled);
  return moves;
}

/**
 * The events of a statement's moves, STORED holding what became of each one's payload: each move's,
 * its commands', then the downloads the commands name.
 */
function recordMoves(
  emitter: SessionEmitter,
  steps: readonly MoveRecord[],
  stored: readonly (StoredPayload | undefined)[],
  fetchUrls: StatementRecord['fetchUrls'],
): void {
  const urls = new Set<string>();
  steps.forEach((m, i) => {
    const kept = stored[i];
    if (m.filename !== undefined && kept) emitter.emit('file.upload', { filename: m.filename, sha256: kept.sha256, size: kept.size, outcome: kept.outcome });
    emitter.emit('exploit.attempt', { name: m.name, detail: m.detail, ...(kept ? { sha256: kept.sha256 } : {}) });
    for (const cmd of m.commands ?? []) {
      emitter.emit('command.input', { input: cmd, known: true });
      for (const url of urlsIn(cmd)) urls.add(url);
    }
  });
  if (urls.size > 0) {
    const taken = takeUrls(emitter, [...urls]);
    if (fetchUrls) fetchUrls(taken);
    else for (const url of taken) emitter.emit('file.download', { url, outcome: 'disabled', reason: 'named in a database command; no fetcher configured' });
  }
}
