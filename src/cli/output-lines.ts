// The start-up banner's lines for the configured event outputs (apiary start and apiary collector),
// so an operator sees where every committed event goes besides the store.
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
