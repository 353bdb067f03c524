// Indicators as one MISP event (the JSON that MISP's "Add event from JSON" and POST /events take):
// an ip-src attribute per source address, sha256/md5 per file, url per URL, each with its first and
// last sighting and a comment saying what the honeynet saw; the event carries the TLP tag. Attribute
// uuids are UUIDv5 of the producer and the value, like the STIX ids. No I/O.
import { attackObjectName } from '../analysis/attacks/techniques.js';
import { whereText, type Indicators } from './indicators.js';
import { jsonListChunks, uuidv5, type StixOptions } from './stix.js';

/** The same options as a STIX bundle's. */
export type MispOptions = StixOptions;

interface MispAttribute {
  uuid: string;
  type: string;
  category: string;
  value: string;
  to_ids: boolean;
  comment: string;
  first_seen: string;
  last_seen: string;
  timestamp: string;
  Tag?: { name: string }[];
}

export function toMispEvent(ind: Indicators, opts: MispOptions): { Event: Record<string, unknown> } {
  const seconds = (iso: string): string => String(Math.floor(Date.parse(iso) / 1000));
  const eventUuid = uuidv5(`misp-event|${opts.producer}|${ind.from}|${ind.to}`);
  const attrs: MispAttribute[] = [];
  // MISP wants attribute uuids unique across events: each is the event's and the value's.
  const add = (key: string, a: Omit<MispAttribute, 'uuid' | 'timestamp' | 'to_ids'>): void => {
    attrs.push({ uuid: uuidv5(`misp|${eventUuid}|${key}|${a.type}`), to_ids: true, timestamp: seconds(a.last_seen), ...a });
  };
  // The reconstructed attack chains each source belongs to, as tags (one per chain) MISP can pivot on.
  const chainsOf = new Map<string, string[]>();
  for (const c of ind.chains) for (const ip of c.sources) chainsOf.set(ip, [...(chainsOf.get(ip) ?? []), c.id]);
  for (const s of ind.sources) {
    const where = whereText(s);
    add(`ip|${s.ip}`, {
      type: 'ip-src', category: 'Network activity', value: s.ip,
      comment: `${s.kinds.join(', ')}: ${s.events} events, severity ${s.severity}, services ${s.protocols.join(', ') || 'none'}${where ? `; ${where}` : ''}`,
      first_seen: s.first_seen, last_seen: s.last_seen,
      // ATT&CK as MISP's galaxy tags ("Name - ID", the mitre-attack-pattern cluster's value: a
      // sub-technique's own name, "Unix Shell - T1059.004", or MISP makes a loose tag instead).
      Tag: [
        ...s.kinds.map((k) => ({ name: `apiary:incident-kind="${k}"` })),
        ...s.techniques.map((t) => ({ name: `misp-galaxy:mitre-attack-pattern="${attackObjectName(t.id)} - ${t.id}"` })),
        ...(chainsOf.get(s.ip) ?? []).map((id) => ({ name: `apiary:attack-chain="${id}"` })),
      ],
    });
  }
  for (const f of ind.files) {
    const comment = `${f.how.join(' and ')} on the honeynet, seen ${f.sightings} time(s)${f.size !== null ? `, ${f.size} bytes` : ''}${f.names.length ? `; names: ${f.names.join(', ')}` : ''}`;
    const key = `file|${f.sha256 ?? `md5:${f.md5}`}`;
    if (f.sha256) add(key, { type: 'sha256', category: 'Payload delivery', value: f.sha256, comment, first_seen: f.first_seen, last_seen: f.last_seen });
    if (f.md5) add(key, { type: 'md5', category: 'Payload delivery', value: f.md5, comment, first_seen: f.first_seen, last_seen: f.last_seen });
  }
  for (const u of ind.urls) {
    add(`url|${u.url}`, { type: 'url', category: 'Payload delivery', value: u.url, comment: `fetched for attackers ${u.sightings} time(s)${u.sha256.length ? `; served ${u.sha256.join(', ')}` : ''}`, first_seen: u.first_seen, last_seen: u.last_seen });
  }
  return {
    Event: {
      uuid: eventUuid,
      info: `${opts.producer}: attacks seen by the honeynet, ${ind.from.slice(0, 10)} to ${ind.to.slice(0, 10)}`,
      date: opts.now.slice(0, 10),
      timestamp: seconds(opts.now),
      threat_level_id: '2',
      analysis: '2',
      distribution: '0',
      published: false,
      Tag: [{ name: `tlp:${opts.tlp === 'clear' ? 'white' : opts.tlp}` }],
      Attribute: attrs,
    },
  };
}

/** EVENT as JSON text in pieces, one attribute per line (see stixJsonChunks). */
export function mispJsonChunks(event: { Event: Record<string, unknown> }): Generator<string> {
  const { Attribute, ...rest } = event.Event as { Attribute?: unknown[] } & Record<string, unknown>;
  return jsonListChunks(`{"Event":${JSON.stringify(rest).slice(0, -1)},"Attribute":[`, Attribute ?? [], ']}}');
}
