// Attack chains in the dashboard (issue 8's reconstruction): the ranked list, one chain with its
// timeline, link graph (an SVG image), the evidence of each link and its ATT&CK techniques as a matrix.
import type { FastifyInstance } from 'fastify';
import { escapeHtml } from '../report/svg.js';
import type { AttackRecord, EventStore } from '../store/store.js';
import { fail } from './server.js';

/** ATT&CK tactics in kill-chain order, and the tactic of each technique Apiary tags (a technique may serve several). */
export const TACTICS = ['Reconnaissance', 'Initial Access', 'Execution', 'Persistence', 'Privilege Escalation', 'Defense Evasion', 'Credential Access', 'Discovery', 'Lateral Movement', 'Command and Control', 'Impact'] as const;
const TECHNIQUE_TACTICS: Record<string, (typeof TACTICS)[number][]> = {
  T1595: ['Reconnaissance'],
  T1046: ['Discovery'],
  T1110: ['Credential Access'],
  T1078: ['Initial Access', 'Persistence'],
  T1190: ['Initial Access'],
  T1210: ['Lateral Movement'],
  T1059: ['Execution'],
  T1082: ['Discovery'],
  T1033: ['Discovery'],
  T1057: ['Discovery'],
  T1016: ['Discovery'],
  T1105: ['Command and Control'],
  T1053: ['Persistence', 'Execution'],
  T1098: ['Persistence'],
  T1548: ['Privilege Escalation', 'Defense Evasion'],
  T1068: ['Privilege Escalation'],
  T1070: ['Defense Evasion'],
  T1552: ['Credential Access'],
  T1090: ['Command and Control'],
  T1496: ['Impact'],
  T1498: ['Impact'],
};

export function tacticsOf(technique: string): string[] {
  return TECHNIQUE_TACTICS[technique.split('.')[0]!] ?? ['Other'];
}

/** Most chains listed; most nodes drawn in a graph. */
export const MAX_CHAINS_LISTED = 100;
const MAX_GRAPH_NODES = 40;

/** The chain's members on a circle, its links as labelled arrows, the services they used inside; all text escaped. */
export function chainGraphSvg(c: AttackRecord): string {
  const nodes = c.sources.slice(0, MAX_GRAPH_NODES);
  for (const l of c.links) for (const ip of [l.from, l.to]) if (!nodes.some((n) => n.ip === ip) && nodes.length < MAX_GRAPH_NODES) nodes.push({ ip, scope: 'unknown', country: null, role: 'attacker' as const });
  const w = 760;
  const h = 460;
  const r = Math.min(w, h) / 2 - 70;
  const pos = new Map(nodes.map((n, i) => [n.ip, { x: w / 2 + r * Math.cos((2 * Math.PI * i) / Math.max(1, nodes.length) - Math.PI / 2), y: h / 2 + r * Math.sin((2 * Math.PI * i) / Math.max(1, nodes.length) - Math.PI / 2) }]));
  const edges = c.links
    .map((l) => {
      const a = pos.get(l.from);
      const b = pos.get(l.to);
      if (!a || !b) return '';
      return `<line x1="${a.x.toFixed(1)}" y1="${a.y.toFixed(1)}" x2="${b.x.toFixed(1)}" y2="${b.y.toFixed(1)}" stroke="#8a8f98" stroke-width="1.5" marker-end="url(#arrow)"/><text x="${((a.x + b.x) / 2).toFixed(1)}" y="${((a.y + b.y) / 2 - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#555">${escapeHtml(l.type)}</text>`;
    })
    .join('');
  const colour = (n: { scope: string; role: string }): string => (n.role === 'server' ? '#8a8f98' : n.scope === 'internal' ? '#2b6cb0' : '#d9822b');
  // Services on an inner ring, each linked (dashed) to the hosts that used it.
  const services = [...new Set(c.steps.map((st) => st.service))].slice(0, MAX_GRAPH_NODES);
  const inner = new Map(services.map((name, i) => [name, { x: w / 2 + r * 0.4 * Math.cos((2 * Math.PI * i) / Math.max(1, services.length)), y: h / 2 + r * 0.4 * Math.sin((2 * Math.PI * i) / Math.max(1, services.length)) }]));
  const used = new Set(c.steps.map((st) => `${st.src_ip}|${st.service}`));
  const serviceEdges = [...used]
    .map((k) => {
      const [ip, name] = k.split('|') as [string, string];
      const a = pos.get(ip);
      const b = inner.get(name);
      return a && b ? `<line x1="${a.x.toFixed(1)}" y1="${a.y.toFixed(1)}" x2="${b.x.toFixed(1)}" y2="${b.y.toFixed(1)}" stroke="#c8ccd2" stroke-dasharray="4 3"/>` : '';
    })
    .join('');
  const serviceNodes = [...inner]
    .map(([name, p]) => `<rect x="${(p.x - 26).toFixed(1)}" y="${(p.y - 9).toFixed(1)}" width="52" height="18" rx="3" fill="#f4d58d"/><text class="service" x="${p.x.toFixed(1)}" y="${(p.y + 4).toFixed(1)}" text-anchor="middle" font-size="11">${escapeHtml(name)}</text>`)
    .join('');
  const circles = nodes
    .map((n) => {
      const p = pos.get(n.ip)!;
      return `<circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="9" fill="${colour(n)}"/><text x="${p.x.toFixed(1)}" y="${(p.y + 22).toFixed(1)}" text-anchor="middle" font-size="11">${escapeHtml(`${n.ip}${n.country ? ` (${n.country})` : ''}${n.role === 'server' ? ' server' : ''}`)}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" style="font-family: sans-serif"><defs><marker id="arrow" viewBox="0 0 10 10" refX="18" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#8a8f98"/></marker></defs><rect width="${w}" height="${h}" fill="#fff"/>${serviceEdges}${edges}${serviceNodes}${circles}</svg>`;
}

/** A chain as the ranked list shows it (the full record holds every step: too much for a list). */
function listRow(c: AttackRecord) {
  return {
    id: c.id,
    score: c.score,
    first_seen: c.first_seen,
    last_seen: c.last_seen,
    sources: c.sources.filter((s) => s.role !== 'server').map((s) => s.ip),
    services: c.services,
    techniques: c.techniques.map((t) => t.id),
    intents: c.intents.map((i) => i.name),
    links: c.links.length,
    events: c.events,
  };
}

export type ChainListRow = ReturnType<typeof listRow>;

/**
 * CACHED(key, compute) shares and refreshes the ranked list like the other aggregates: reading a
 * hundred full chain records takes long enough that every view should not pay for it.
 */
export function registerChainApi(app: FastifyInstance, store: EventStore, cached: <T>(key: string, compute: () => Promise<T>) => Promise<T>): void {
  app.get<{ Querystring: { min_score?: string } }>('/api/chains', async (req) => {
    const minScore = Math.max(0, Number(req.query.min_score) || 0);
    return cached(`chains|${minScore}`, async () => (await store.listAttacks({ ...(minScore ? { minScore } : {}), limit: MAX_CHAINS_LISTED })).map(listRow));
  });
  app.get<{ Params: { id: string } }>('/api/chains/:id', async (req, reply) => {
    const c = await store.getAttack(req.params.id.slice(0, 64));
    if (!c) return fail(reply, 404, 'no such attack chain');
    return { ...c, matrix: TACTICS.concat(['Other' as never]).map((tactic) => ({ tactic, techniques: c.techniques.filter((t) => tacticsOf(t.id).includes(tactic)) })).filter((col) => col.techniques.length > 0) };
  });
  app.get<{ Params: { id: string } }>('/api/chains/:id/graph.svg', async (req, reply) => {
    const c = await store.getAttack(req.params.id.slice(0, 64));
    if (!c) return fail(reply, 404, 'no such attack chain');
    return reply.type('image/svg+xml; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(chainGraphSvg(c));
  });
}
