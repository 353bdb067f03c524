// Attack chains as stored records: the members of one union-find component with their techniques,
// intents, links and timeline, and an APT-likeness score (0-100) whose factors explain it.
import type { AttackRecord, AttackStep } from '../../store/store.js';
import { findRoot, type AttackState, type SourceState } from './fold.js';
import { techniqueName } from './techniques.js';

/** Members whose details (steps, techniques) a record lists; counts stay exact beyond it. */
export const MAX_DETAILED_MEMBERS = 300;
export const MAX_RECORD_STEPS = 600;
export const MAX_RECORD_SOURCES = 300;

/** Techniques that only show someone knocking: a chain of nothing else is not stored. */
const KNOCKING = new Set(['T1595', 'T1046', 'T1110.001', 'T1110.003']);

const DAY_MS = 86_400_000;

export interface ScoreInput {
  members: readonly SourceState[];
  linkTypes: ReadonlySet<string>;
  techniques: ReadonlySet<string>;
}

/** The APT-likeness of a chain, each factor with its points and why. */
export function scoreChain(input: ScoreInput): { score: number; factors: AttackRecord['factors'] } {
  const factors: AttackRecord['factors'] = {};
  const add = (name: string, points: number, explanation: string): void => {
    if (points > 0) factors[name] = { points, explanation };
  };
  const attackers = input.members.filter((m) => m.role === 'attacker');
  const days = attackers.reduce((n, m) => n + m.dayCount, 0);
  const firsts = attackers.map((m) => Date.parse(m.first)).filter(Number.isFinite);
  const lasts = attackers.map((m) => Date.parse(m.last)).filter(Number.isFinite);
  const spanDays = firsts.length && lasts.length ? (Math.max(...lasts) - Math.min(...firsts)) / DAY_MS : 0;
  const longestGap = attackers.reduce((g, m) => Math.max(g, m.maxGapDays), 0);
  add('persistence', Math.min(20, (days >= 2 && spanDays >= 1 ? 5 : 0) + (spanDays >= 7 ? 5 : 0) + (longestGap >= 14 ? 10 : 0)),
    `active on ${days} source-day(s) over ${spanDays.toFixed(1)} days; longest absence ${longestGap.toFixed(0)} days`);
  const t = input.techniques;
  const cleared = t.has('T1070.003') || t.has('T1070.002');
  const attempts = attackers.reduce((n, m) => n + m.failed + m.successes, 0);
  const authHours = attackers.reduce((h, m) => (m.authFirst && m.authLast ? h + Math.max(1, (Date.parse(m.authLast) - Date.parse(m.authFirst)) / 3600_000) : h), 0);
  const slow = attempts > 0 && attempts <= 20 && attackers.some((m) => m.successes > 0) && attempts / Math.max(1, authHours) < 10;
  add('stealth', (cleared ? 10 : 0) + (slow ? 5 : 0), `${cleared ? 'cleared history or logs; ' : ''}${attempts} login attempts (${(attempts / Math.max(1, authHours)).toFixed(1)} per active hour)`);
  const separated = input.linkTypes.has('credential_handoff') || input.linkTypes.has('scan_then_exploit');
  add('separated_infrastructure', separated ? 15 : 0, 'different hosts scanned or brute-forced and exploited or logged in');
  const tokens = input.linkTypes.has('honeytoken') || attackers.some((m) => m.tokensUsed > 0);
  add('honeytoken_use', tokens ? 20 : 0, 'used a decoy credential read from the honeynet (a human reading what it found)');
  const escalation = ['T1548.003', 'T1068'].filter((x) => t.has(x));
  const lateral = ['T1210'].filter((x) => t.has(x));
  add('escalation_and_lateral_movement', Math.min(15, escalation.length * 5 + lateral.length * 10), `techniques ${[...escalation, ...lateral].join(', ')}`);
  const keys = attackers.filter((m) => keystrokesLookHuman(m.keyGaps ?? []));
  const paced = attackers.filter((m) => !m.keyGaps?.length && looksTyped(m.gaps));
  add('human_typing', keys.length || paced.length ? 10 : 0, [
    keys.length ? `keystrokes at a person's uneven pace in the recordings of ${keys.map((m) => m.ip).slice(0, 5).join(', ')}` : '',
    paced.length ? `commands at a person's pace from ${paced.map((m) => m.ip).slice(0, 5).join(', ')}` : '',
  ].filter(Boolean).join('; '));
  const services = new Set(attackers.flatMap((m) => m.services));
  const sensors = new Set(attackers.flatMap((m) => m.sensors));
  add('focus', services.size >= 2 ? Math.min(10, 5 * (services.size - 1)) : 0, `worked on ${services.size} services of ${sensors.size} sensor(s) of this honeynet`);
  const score = Math.min(100, Object.values(factors).reduce((n, f) => n + f.points, 0));
  return { score, factors };
}

/** Median gap and coefficient of variation of GAPS (at least MIN of them), or undefined. */
function rhythm(gaps: readonly number[], min: number): { median: number; cv: number } | undefined {
  if (gaps.length < min) return undefined;
  const sorted = [...gaps].sort((a, b) => a - b);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  if (!(mean > 0)) return undefined;
  const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
  return { median: sorted[Math.floor(sorted.length / 2)]!, cv: sd / mean };
}

/** Enough keystrokes, a median gap of a typist (40 ms to 1.5 s) and an uneven rhythm (scripts that type are steady). */
export function keystrokesLookHuman(gaps: readonly number[]): boolean {
  const r = rhythm(gaps, 8);
  return r !== undefined && r.median >= 40 && r.median <= 1500 && r.cv >= 0.2;
}

/** Gaps between commands in the range of a person at a keyboard, and irregular (scripts are steady or instant). */
export function looksTyped(gaps: readonly number[]): boolean {
  const r = rhythm(gaps, 2);
  return r !== undefined && r.median >= 800 && r.median <= 300_000 && r.cv >= 0.1;
}

/** The record of the chain rooted at ROOT, or undefined when it is only scanning and guessing by one source. */
export function buildAttackRecord(st: AttackState, root: string): AttackRecord | undefined {
  const meta = st.chains.get(findRoot(st, root));
  if (!meta) return undefined;
  const members = meta.members.map((m) => st.sources.get(m)).filter((m): m is SourceState => m !== undefined);
  const detailed = members.slice(0, MAX_DETAILED_MEMBERS);
  const links = meta.links.map((k) => st.links.get(k)).filter((l) => l !== undefined);
  const techniques = new Map<string, string[]>();
  const intents = new Map<string, { event_id: string; detail: string }[]>();
  let steps: AttackStep[] = [];
  for (const m of detailed) {
    for (const [id, ev] of Object.entries(m.techniques)) {
      const list = techniques.get(id) ?? [];
      for (const x of ev) if (list.length < 10 && !list.includes(x)) list.push(x);
      techniques.set(id, list);
    }
    for (const [name, ev] of Object.entries(m.intents)) {
      const list = intents.get(name) ?? [];
      for (const x of ev) if (list.length < 10) list.push(x);
      intents.set(name, list);
    }
    steps.push(...m.steps);
  }
  const notable = links.length > 0 || intents.size > 0 || [...techniques.keys()].some((t) => !KNOCKING.has(t));
  if (!notable) return undefined;
  steps.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.event_id < b.event_id ? -1 : 1));
  if (steps.length > MAX_RECORD_STEPS) steps = steps.slice(0, MAX_RECORD_STEPS);
  const { score, factors } = scoreChain({ members: detailed, linkTypes: new Set(links.map((l) => l.type)), techniques: new Set(techniques.keys()) });
  const firsts = members.map((m) => m.first).sort();
  const lasts = members.map((m) => m.last).sort();
  return {
    id: meta.id,
    score,
    factors,
    first_seen: firsts[0] ?? meta.first,
    last_seen: lasts[lasts.length - 1] ?? meta.first,
    sources: members.slice(0, MAX_RECORD_SOURCES).map((m) => ({ ip: m.ip, scope: m.scope, country: m.country, role: m.role })),
    services: [...new Set(detailed.flatMap((m) => m.services))],
    techniques: [...techniques].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, evidence]) => ({ id, name: techniqueName(id), evidence })),
    intents: [...intents].map(([name, evidence]) => ({ name, evidence })),
    links,
    steps,
    events: members.reduce((n, m) => n + m.events, 0),
    merged: [...new Set(meta.merged)],
  };
}
