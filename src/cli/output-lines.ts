// The start-up banner's lines for the store and the configured event outputs (apiary start and apiary
// collector), so an operator sees where every committed event goes.
import type { Config } from '../config/schema.js';
import { hostPort } from './terminal.js';

export function outputLines(outputs: Config['outputs']): string[] {
  const out: string[] = [];
  if (outputs.jsonl) out.push(`output   jsonl ${outputs.jsonl.path}`);
  if (outputs.cowrie_json) out.push(`output   cowrie_json ${outputs.cowrie_json.path}`);
  const s = outputs.syslog;
  if (s) out.push(`output   syslog ${s.protocol} ${hostPort(s.host, s.port)} ${s.format}${s.types ? ` (only ${s.types.join(', ')})` : ''}`);
  return out;
}

/** Where the store is: the SQLite file, or the PostgreSQL server and database (never the URL's password). */
export function storeLine(store: Config['store']): string {
  if (store.kind !== 'postgres' || !store.postgres) return `store    sqlite ${store.sqlite.path}`;
  let where = 'postgres';
  try {
    const u = new URL(store.postgres.url);
    where += ` ${u.hostname || 'localhost'}${u.port ? `:${u.port}` : ''}${u.pathname.length > 1 ? u.pathname : ''}`;
  } catch {
    /* a libpq keyword string: named only by kind */
  }
  return `store    ${where}`;
}
