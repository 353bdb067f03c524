// `apiary attacks` and `apiary attack show ID`: the reconstructed attack chains, ranked by APT score,
// and one chain's timeline with the evidence of each step. Attacker strings are shown inert.
import { loadConfig } from '../config/load.js';
import { ApiaryError } from '../errors/errors.js';
import type { AttackFilter, AttackRecord } from '../store/store.js';
import { parseFlags } from './flags.js';
import { bringUpToDate, openStore } from './tracking-commands.js';
import { counted, inert, table } from './terminal.js';

function parseMinScore(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d{1,3}$/.test(v) || n > 100) throw new ApiaryError('APIARY_CLI_USAGE', `flag --min-score: expected a whole number from 0 to 100, got ${JSON.stringify(v)}`);
  return n;
}

function who(r: AttackRecord): string {
  const attackers = r.sources.filter((s) => s.role === 'attacker');
  const shown = attackers.slice(0, 3).map((s) => `${s.ip}${s.country ? `/${s.country}` : ''}`);
  return `${shown.join(' ')}${attackers.length > 3 ? ` +${attackers.length - 3}` : ''}`;
}

export async function runAttacks(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { config: { type: 'string', short: 'c' }, 'min-score': { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } });
  const filter: AttackFilter = {};
  const min = parseMinScore(values['min-score']);
  if (min !== undefined) filter.minScore = min;
  if (values.limit !== undefined) {
    if (!/^\d{1,6}$/.test(values.limit) || Number(values.limit) < 1) throw new ApiaryError('APIARY_CLI_USAGE', `flag --limit: expected a positive whole number, got ${JSON.stringify(values.limit)}`);
    filter.limit = Number(values.limit);
  }
  const { config } = loadConfig(values.config, { checkDataDir: false });
  const store = await openStore(config);
  try {
    await bringUpToDate(store, config, { attacks: true });
    const attacks = await store.listAttacks(filter);
    if (values.json) {
      process.stdout.write(attacks.map((a) => `${JSON.stringify(a)}\n`).join(''));
    } else {
      const rows = attacks.map((a) => [
        a.id, String(a.score), who(a), a.services.map(inert).join(','), a.intents.map((i) => i.name).join(',') || '-',
        [...new Set(a.links.map((l) => l.type))].join(',') || '-', a.first_seen, a.last_seen,
      ]);
      process.stdout.write(`${table(['ID', 'SCORE', 'SOURCES', 'SERVICES', 'INTENT', 'LINKS', 'FIRST', 'LAST'], rows)}\n${counted(attacks.length, 'attack chain')}\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}

export function describeAttack(a: AttackRecord): string {
  const lines = [`attack ${a.id}  score ${a.score}/100`, `  seen       ${a.first_seen} .. ${a.last_seen} (${counted(a.events, 'event')})`];
  lines.push('  sources');
  for (const s of a.sources) lines.push(`    ${inert(s.ip)}  ${s.role === 'server' ? 'outside server' : s.scope}${s.country ? `, ${s.country}` : ''}`);
  lines.push(`  services   ${a.services.map(inert).join(', ')}`);
  lines.push('  score factors');
  for (const [name, f] of Object.entries(a.factors)) lines.push(`    +${String(f.points).padStart(2)}  ${name}: ${inert(f.explanation)}`);
  lines.push('  intent');
  for (const i of a.intents) lines.push(`    ${i.name}: ${i.evidence.map((e) => `${inert(e.detail)} [${e.event_id}]`).join('; ')}`);
  lines.push('  techniques');
  for (const t of a.techniques) lines.push(`    ${t.id.padEnd(10)} ${t.name}  [${t.evidence.join(', ')}]`);
  lines.push('  links');
  for (const l of a.links) lines.push(`    ${l.type}: ${inert(l.from)} -> ${inert(l.to)}: ${inert(l.explanation)} [${l.evidence.join(', ')}]`);
  lines.push('  timeline');
  for (const s of a.steps) {
    lines.push(`    ${s.time}  ${inert(s.src_ip)}${s.country ? `/${s.country}` : ''}  ${inert(s.service)}@${inert(s.sensor)}  ${s.technique ?? '-'}  ${inert(s.summary)}  [${s.event_id}]`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runAttack(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } });
  const [sub, id] = positionals;
  if (sub !== 'show' || id === undefined || positionals.length !== 2) throw new ApiaryError('APIARY_CLI_USAGE', 'usage: apiary attack show ID [--json]');
  const { config } = loadConfig(values.config, { checkDataDir: false });
  const store = await openStore(config);
  try {
    await bringUpToDate(store, config, { attacks: true });
    const a = await store.getAttack(id);
    if (!a) throw new ApiaryError('APIARY_NOT_FOUND', `no attack chain ${JSON.stringify(inert(id))}; "apiary attacks" lists them`);
    process.stdout.write(values.json ? `${JSON.stringify(a)}\n` : describeAttack(a));
  } finally {
    await store.close();
  }
  return 0;
}
