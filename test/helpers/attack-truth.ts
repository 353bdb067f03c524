// Compares reconstructed attack chains with the ground truth `apiary simulate` wrote: precision and
// recall for links (same type, endpoints joined by links of that type) and for chain membership (pairs).
import type { AttackRecord } from '../../src/store/store.js';
import type { GroundTruth } from '../../src/cli/simulate/scenario.js';

export interface Figures {
  precision: number;
  recall: number;
  tp: number;
  fp: number;
  fn: number;
}

function figures(tp: number, fp: number, fn: number): Figures {
  return { precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn), tp, fp, fn };
}

/** Components of the graph EDGES, as node -> component id. */
function components(edges: readonly [string, string][]): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    return r;
  };
  for (const [a, b] of edges) {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    parent.set(find(a), find(b));
  }
  const out = new Map<string, string>();
  for (const n of parent.keys()) out.set(n, find(n));
  return out;
}

/** A link counts when the other side joins its endpoints by links of the same type (a star and a chain of the same group agree). */
export function linkFigures(truth: readonly GroundTruth[], chains: readonly AttackRecord[]): Figures & { missed: string[]; extra: string[] } {
  const t = truth.flatMap((g) => g.chains.flatMap((c) => c.links));
  const p = chains.flatMap((c) => c.links);
  const byType = (links: readonly { type: string; from: string; to: string }[]) => {
    const m = new Map<string, [string, string][]>();
    for (const l of links) (m.get(l.type) ?? m.set(l.type, []).get(l.type)!).push([l.from, l.to]);
    return new Map([...m].map(([k, v]) => [k, components(v)]));
  };
  const tc = byType(t);
  const pc = byType(p);
  const joined = (c: Map<string, Map<string, string>>, type: string, a: string, b: string): boolean => {
    const m = c.get(type);
    return m !== undefined && m.has(a) && m.get(a) === m.get(b);
  };
  const missed = t.filter((l) => !joined(pc, l.type, l.from, l.to)).map((l) => `${l.type} ${l.from}>${l.to}`);
  const extra = p.filter((l) => !joined(tc, l.type, l.from, l.to)).map((l) => `${l.type} ${l.from}>${l.to}: ${l.explanation}`);
  return { ...figures(p.length - extra.length, extra.length, missed.length), missed, extra };
}

/** Pairs of nodes placed in one chain, against the truth's pairs, over every node the truth or the chains name. */
export function membershipFigures(truth: readonly GroundTruth[], chains: readonly AttackRecord[]): Figures {
  const tOf = new Map<string, string>();
  truth.forEach((g, i) => g.chains.forEach((c, j) => c.members.forEach((m) => tOf.set(m, `${i}.${j}`))));
  const pOf = new Map<string, string>();
  for (const c of chains) for (const s of c.sources) pOf.set(s.ip, c.id);
  const nodes = [...new Set([...tOf.keys(), ...pOf.keys()])];
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      const a = nodes[i]!;
      const b = nodes[j]!;
      const inT = tOf.has(a) && tOf.get(a) === tOf.get(b);
      const inP = pOf.has(a) && pOf.get(a) === pOf.get(b);
      if (inT && inP) tp++;
      else if (inP) fp++;
      else if (inT) fn++;
    }
  }
  return figures(tp, fp, fn);
}

/** The stored chain holding the truth chain's first member. */
export function chainFor(chains: readonly AttackRecord[], member: string): AttackRecord | undefined {
  return chains.find((c) => c.sources.some((s) => s.ip === member));
}

/** Intents the truth names that the chain shows (recall) and intents the chain shows that the truth does not name (precision). */
export function tagFigures(truth: readonly GroundTruth[], chains: readonly AttackRecord[], kind: 'intents' | 'techniques'): Figures & { missed: string[]; extra: string[] } {
  let tp = 0;
  const missed: string[] = [];
  const extra: string[] = [];
  for (const g of truth) {
    for (const c of g.chains) {
      const rec = chainFor(chains, c.members[0]!);
      const got = new Set(kind === 'intents' ? (rec?.intents.map((i) => i.name) ?? []) : (rec?.techniques.map((x) => x.id) ?? []));
      for (const want of c[kind]) {
        if (got.has(want)) tp++;
        else missed.push(`${c.name}: ${want}`);
      }
      for (const x of got) if (!c[kind].includes(x)) extra.push(`${c.name}: ${x}`);
    }
  }
  return { ...figures(tp, extra.length, missed.length), missed, extra };
}
