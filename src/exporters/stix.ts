// Indicators as a STIX 2.1 bundle (OASIS CTI): an identity for the honeynet, the TLP marking, one
// indicator per source address, file hash and URL with a sighting that counts how often the honeynet
// saw it, relationships from each source to the files it fetched or pushed, and the MITRE ATT&CK
// techniques each source used as attack patterns it indicates. Ids are UUIDv5 of
// the producer and the value, so a later export of the same honeynet updates objects instead of
// duplicating them. No I/O.
import { createHash, randomUUID } from 'node:crypto';
import { attackObjectName } from '../analysis/attacks/techniques.js';
import { whereText, type FileIndicator, type Indicators, type SourceIndicator, type UrlIndicator } from './indicators.js';

export const TLP_LEVELS = ['clear', 'green', 'amber', 'red'] as const;
export type Tlp = (typeof TLP_LEVELS)[number];

/** The TLP 1.0 marking definitions the STIX 2.1 specification publishes (TLP:CLEAR is its TLP:WHITE). */
const TLP_MARKINGS: Record<Tlp, { id: string; name: string; tlp: string }> = {
  clear: { id: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9', name: 'TLP:WHITE', tlp: 'white' },
  green: { id: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', name: 'TLP:GREEN', tlp: 'green' },
  amber: { id: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82', name: 'TLP:AMBER', tlp: 'amber' },
  red: { id: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed', name: 'TLP:RED', tlp: 'red' },
};

/** Namespace of Apiary's UUIDv5 ids (itself a UUIDv5 of "apiary" in the URL namespace of RFC 4122). */
const APIARY_NAMESPACE = 'af73a502-343d-5b0b-b362-291526b4bda8';

/**
 * The `created` time of the objects that stand for a value (the honeynet itself, an address, a hash, a
 * URL, a technique, a relation between two of them): STIX forbids a later version of an object to change
 * it, and these keep one id across exports. Their `modified` time is their last sighting, so a
 * platform keeps the newest version; a sighting's `modified` is the export's time.
 */
export const VALUE_OBJECT_CREATED = '1970-01-01T00:00:00.000Z';

/** STIX's `count` of a sighting is at most this. */
export const MAX_SIGHTING_COUNT = 999_999_999;

/** RFC 4122 version-5 UUID of NAME in NAMESPACE. */
export function uuidv5(name: string, namespace = APIARY_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** S as a STIX pattern string literal: single-quoted, with backslash and quote escaped. */
export function stixString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export interface StixOptions {
  /** The honeynet's name as the producer of the data. */
  producer: string;
  tlp: Tlp;
  /** When the bundle is made (ISO 8601 UTC). */
  now: string;
}

type StixObject = Record<string, unknown> & { type: string; id: string };

/** What one indicator (and its sighting) says: the value's pattern and what the honeynet saw of it. */
interface IndicatorSpec {
  name: string;
  description: string;
  pattern: string;
  types: string[];
  labels: string[];
  first: string;
  last: string;
  count: number;
}

export function toStixBundle(ind: Indicators, opts: StixOptions): { type: 'bundle'; id: string; objects: StixObject[] } {
  const marking = TLP_MARKINGS[opts.tlp];
  const identityId = `identity--${uuidv5(`identity|${opts.producer}`)}`;
  const common = { spec_version: '2.1', created_by_ref: identityId, object_marking_refs: [marking.id] };
  const objects: StixObject[] = [
    { type: 'marking-definition', spec_version: '2.1', id: marking.id, created: '2017-01-20T00:00:00.000Z', definition_type: 'tlp', name: marking.name, definition: { tlp: marking.tlp } },
    {
      type: 'identity', spec_version: '2.1', id: identityId, created: VALUE_OBJECT_CREATED, modified: VALUE_OBJECT_CREATED,
      name: opts.producer, identity_class: 'system', description: 'An Apiary honeynet: sensors that no legitimate user talks to.', object_marking_refs: [marking.id],
    },
  ];
  const indicator = (key: string, o: IndicatorSpec): string => {
    const id = `indicator--${uuidv5(`indicator|${opts.producer}|${key}`)}`;
    objects.push({
      type: 'indicator', ...common, id, created: VALUE_OBJECT_CREATED, modified: o.last, name: o.name, description: o.description,
      indicator_types: o.types, pattern: o.pattern, pattern_type: 'stix', pattern_version: '2.1', valid_from: o.first,
      ...(o.labels.length > 0 ? { labels: o.labels } : {}),
    });
    objects.push({
      // One sighting per value, a new version at each export (the count is the exported period's): a
      // platform replaces it rather than adding overlapping periods' counts up.
      type: 'sighting', ...common, id: `sighting--${uuidv5(`sighting|${opts.producer}|${key}`)}`, created: VALUE_OBJECT_CREATED, modified: opts.now,
      sighting_of_ref: id, count: Math.min(o.count, MAX_SIGHTING_COUNT), first_seen: o.first, last_seen: o.last, where_sighted_refs: [identityId],
    });
    return id;
  };
  /** A relationship between two of the bundle's objects; its id is the pair's. */
  const relationship = (type: 'indicates' | 'related-to', from: string, to: string, modified: string, description: string): void => {
    objects.push({
      type: 'relationship', ...common, id: `relationship--${uuidv5(`rel|${opts.producer}|${from}|${to}`)}`, created: VALUE_OBJECT_CREATED, modified,
      relationship_type: type, source_ref: from, target_ref: to, description,
    });
  };
  const sourceIds = new Map<string, string>();
  const patterns = new Map<string, string>();
  /** The attack pattern of technique T, made at its first use: its MITRE name and reference, as OpenCTI and MISP read them. */
  const attackPattern = (t: { id: string; name: string }): string => {
    let ap = patterns.get(t.id);
    if (ap === undefined) {
      ap = `attack-pattern--${uuidv5(`attack-pattern|${opts.producer}|${t.id}`)}`;
      patterns.set(t.id, ap);
      objects.push({
        type: 'attack-pattern', ...common, id: ap, created: VALUE_OBJECT_CREATED, modified: VALUE_OBJECT_CREATED, name: attackObjectName(t.id),
        external_references: [{ source_name: 'mitre-attack', external_id: t.id, url: `https://attack.mitre.org/techniques/${t.id.replace('.', '/')}/` }],
      });
    }
    return ap;
  };
  for (const s of ind.sources) {
    const id = indicator(`ip|${s.ip}`, sourceIndicator(s));
    sourceIds.set(s.ip, id);
    for (const t of s.techniques) {
      const ap = attackPattern(t);
      relationship('indicates', id, ap, s.last_seen, `${s.ip} used ${t.id} against the honeynet`);
    }
  }
  for (const f of ind.files) {
    const id = indicator(`file|${f.sha256 ?? `md5:${f.md5}`}`, fileIndicator(f));
    for (const ip of f.sources) {
      const from = sourceIds.get(ip);
      if (from === undefined) continue;
      relationship('related-to', from, id, f.last_seen, `${ip} ${f.how.join(', ')} this file on the honeynet`);
    }
  }
  for (const u of ind.urls) indicator(`url|${u.url}`, urlIndicator(u));
  // Each linked attack chain as a report over its sources' indicators and its techniques.
  for (const c of ind.chains) {
    const refs = c.sources.map((ip) => sourceIds.get(ip)).filter((x): x is string => x !== undefined);
    if (refs.length === 0) continue;
    for (const t of c.techniques) refs.push(attackPattern(t));
    objects.push({
      type: 'report', ...common, id: `report--${uuidv5(`report|${opts.producer}|${c.id}`)}`, created: VALUE_OBJECT_CREATED, modified: c.last_seen,
      name: `Attack chain ${c.id}${c.intents.length ? `: ${c.intents.join(', ')}` : ''}`,
      description: `Reconstructed by the honeynet: ${c.sources.length} attacking address(es) linked by ${c.link_types.join(', ')}; APT score ${c.score}; services ${c.services.join(', ') || 'none'}; ${c.events} events from ${c.first_seen} to ${c.last_seen}.`,
      report_types: ['threat-report'], published: c.last_seen, object_refs: refs,
    });
  }
  return { type: 'bundle', id: `bundle--${randomUUID()}`, objects };
}

function sourceIndicator(s: SourceIndicator): IndicatorSpec {
  const family = s.ip.includes(':') ? 'ipv6-addr' : 'ipv4-addr';
  const where = whereText(s);
  return {
    name: `${s.ip}: ${s.kinds.join(', ')} against the honeynet`,
    description: `${s.events} events in ${s.incidents} incident(s), severity ${s.severity}; services ${s.protocols.join(', ') || 'none'}${s.dst_ports.length ? `, ports ${s.dst_ports.join(', ')}` : ''}${where ? `; ${where}` : ''}`.replace(/\.?$/, '.'),
    pattern: `[${family}:value = ${stixString(s.ip)}]`,
    types: [s.scope === 'internal' ? 'compromised' : 'malicious-activity'],
    labels: s.kinds.map((k) => k.replace(/_/g, '-')),
    first: s.first_seen,
    last: s.last_seen,
    count: s.events,
  };
}

function fileIndicator(f: FileIndicator): IndicatorSpec {
  const parts = [f.sha256 ? `file:hashes.'SHA-256' = ${stixString(f.sha256)}` : null, f.md5 ? `file:hashes.MD5 = ${stixString(f.md5)}` : null].filter((x): x is string => x !== null);
  return {
    name: `${f.sha256 ?? f.md5}: a file ${f.how.join(' and ')} on the honeynet`,
    description: `Seen ${f.sightings} time(s)${f.size !== null ? `, ${f.size} bytes` : ''}${f.names.length ? `; names: ${f.names.join(', ')}` : ''}${f.urls.length ? `; from: ${f.urls.join(' ')}` : ''}.`,
    pattern: `[${parts.join(' OR ')}]`,
    types: ['malicious-activity'],
    labels: f.how,
    first: f.first_seen,
    last: f.last_seen,
    count: f.sightings,
  };
}

function urlIndicator(u: UrlIndicator): IndicatorSpec {
  return {
    name: `URL attackers fetched from the honeynet`,
    description: `Requested ${u.sightings} time(s)${u.sha256.length ? `; served ${u.sha256.join(', ')}` : ''}.`,
    pattern: `[url:value = ${stixString(u.url)}]`,
    types: ['malicious-activity'],
    labels: ['malware-download'],
    first: u.first_seen,
    last: u.last_seen,
    count: u.sightings,
  };
}

/**
 * BUNDLE as JSON text in pieces, one object per line: a large bundle is written out without ever
 * being one string in memory.
 */
export function stixJsonChunks(bundle: { type: 'bundle'; id: string; objects: readonly object[] }): Generator<string> {
  return jsonListChunks(`{"type":"bundle","id":${JSON.stringify(bundle.id)},"objects":[`, bundle.objects, ']}');
}

/** PREFIX, then the JSON of each item on a line of its own, comma-separated, then SUFFIX. */
export function* jsonListChunks(prefix: string, items: readonly unknown[], suffix: string): Generator<string> {
  yield `${prefix}\n`;
  for (let i = 0; i < items.length; i++) yield `${i ? ',\n' : ''}${JSON.stringify(items[i])}`;
  yield `\n${suffix}\n`;
}
