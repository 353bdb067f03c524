// What a honeynet shares with others: the indicators of a period, gathered from the store. Source
// addresses come from the incidents (what each did, how often, from where); file hashes and URLs from
// the download, upload and exploit events. A honeypot has no legitimate users, so every source is an
// attacker; but the organisation's own addresses (internal), private ranges and the operators' test
// hosts (networks.ignore) are never shared unless asked for, nor URLs that name such an address.
import { techniqueName } from '../analysis/attacks/techniques.js';
import { ipv6ToBigInt, isNonPublic, normaliseIp } from '../enrich/networks.js';
import type { AttackRecord, EventStore, IncidentKind, IpEnrichment, Scope, Severity } from '../store/store.js';
import { MAX_QUERY_ROWS, SEVERITIES } from '../store/store.js';
import { trimTrailing } from '../wire/text.js';

/** Most source addresses, file hashes and URLs in one export; past these the rest is counted, not listed. */
export const MAX_EXPORT_SOURCES = 100_000;
export const MAX_EXPORT_FILES = 20_000;
export const MAX_EXPORT_URLS = 20_000;
/**
 * Longest URL exported (an attacker's URL can be anything); longer ones are counted as left out. The
 * shell keeps 2,048 characters of a URL, so one of that length may have been cut and is left out too.
 */
export const MAX_EXPORT_URL_CHARS = 2047;
/** URLs, file names and related addresses kept per indicator. */
export const MAX_RELATED = 20;
/** Attack chains read for the sources' ATT&CK techniques (the highest scores of all time first), and per read. */
export const MAX_EXPORT_CHAINS = 10_000;
export const CHAIN_PAGE = 500;
/** Linked chains exported as reports, at most (highest scores first). */
export const MAX_EXPORT_REPORTS = 1000;

export interface SourceIndicator {
  ip: string;
  scope: Scope;
  country: string | null;
  asn: number | null;
  as_org: string | null;
  first_seen: string;
  last_seen: string;
  events: number;
  incidents: number;
  kinds: IncidentKind[];
  severity: Severity;
  protocols: string[];
  dst_ports: number[];
  /** MITRE ATT&CK techniques of this source's steps in the attack chains. */
  techniques: { id: string; name: string }[];
}

export interface FileIndicator {
  sha256: string | null;
  md5: string | null;
  size: number | null;
  first_seen: string;
  last_seen: string;
  /** Events that named this file (downloads, uploads, exploit payloads). */
  sightings: number;
  how: ('download' | 'upload' | 'exploit')[];
  urls: string[];
  names: string[];
  /** Exported source addresses that fetched, pushed or sent it. */
  sources: string[];
}

export interface UrlIndicator {
  url: string;
  first_seen: string;
  last_seen: string;
  sightings: number;
  /** Hashes of what the URL served, when it was fetched. */
  sha256: string[];
  sources: string[];
}

/** A multi-source attack chain the sensors reconstructed (only its kinds of links: their explanations
 * name credentials and decoys, which stay inside). */
export interface ChainIndicator extends Pick<AttackRecord, 'id' | 'score' | 'first_seen' | 'last_seen' | 'services' | 'events'> {
  /** Its attacking addresses that this export shares. */
  sources: string[];
  techniques: { id: string; name: string }[];
  intents: string[];
  link_types: string[];
}

export interface Indicators {
  from: string;
  to: string;
  sources: SourceIndicator[];
  /** Chains that link sources (scanner and exploiter, reused credentials, shared infrastructure, ...). */
  chains: ChainIndicator[];
  files: FileIndicator[];
  urls: UrlIndicator[];
  /** What was left out, and why. */
  left_out: { internal: number; private: number; ignored: number; long_urls: number; urls_naming_internal: number; unparsable_urls: number; over_cap: number };
  /** The store held more incidents for the period than one export reads: only the newest were read. */
  incidents_cut: boolean;
}

export interface GatherOptions {
  from: string;
  to: string;
  /** Share the organisation's own (internal) addresses too: for an export that stays inside it. */
  includeInternal?: boolean;
  /** Only sources whose strongest incident is at least this severe. */
  minSeverity?: Severity;
  /** Scope of an address the store has no enrichment for (a URL's host): the configured networks' word. */
  classify?: (ip: string) => Pick<IpEnrichment, 'scope' | 'ignored'>;
}

const FILE_TYPES = ['file.download', 'file.upload', 'exploit.attempt', 'shellcode.detected'] as const;

/** Host names that are the organisation's own by definition (no name is ever resolved). */
const LOCAL_NAME_RE = /(^localhost$|\.localhost$|\.local$|\.internal$|\.lan$|\.home\.arpa$|\.corp$|\.intranet$)/;

/** Schemes whose host a WHATWG parser reads as an address (the others keep it as written). */
const SPECIAL_SCHEMES = new Set(['http:', 'https:', 'ftp:', 'ws:', 'wss:', 'file:']);

/**
 * The IPv4 address inside an IPv6 one that carries it (IPv4-mapped ::ffff:0:0/96, IPv4-compatible
 * ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16), as dotted text; undefined for other addresses.
 */
export function embeddedIpv4(v: bigint): string | undefined {
  const dotted = (x: bigint): string => [24, 16, 8, 0].map((b) => Number((x >> BigInt(b)) & 0xffn)).join('.');
  const high = v >> 32n;
  if (high === 0xffffn || (high === 0n && v > 1n) || high === 0x64ff9b0000000000000000n) return dotted(v & 0xffffffffn);
  if (v >> 112n === 0x2002n) return dotted((v >> 80n) & 0xffffffffn);
  return undefined;
}

/**
 * The host of URL as a WHATWG parser (and so a downloader) reads it: { ip } for an address in any
 * notation (decimal, hex, short forms, IPv4-mapped IPv6 unmapped), { local: true } for a name that
 * can only be inside (one label, localhost, .local, .internal, ...), {} for another name, undefined
 * when it does not parse as a URL with a host.
 */
export function urlHost(url: string): { ip?: string; local?: boolean } | undefined {
  let host: string;
  try {
    const u = new URL(url);
    host = u.hostname;
    // tftp:// and other schemes WHATWG does not know keep their host as written; BusyBox and curl
    // still read "10.1" or "0177.0.0.1" as addresses, so read such a host as an http one would be.
    if (host !== '' && !SPECIAL_SCHEMES.has(u.protocol)) host = new URL(`http://${host}/`).hostname;
  } catch {
    return undefined;
  }
  if (host === '') return undefined;
  if (host.startsWith('[') && host.endsWith(']')) {
    const n = normaliseIp(host.slice(1, -1));
    if (!n) return undefined;
    const v4 = embeddedIpv4(ipv6ToBigInt(n.ip));
    return { ip: v4 ?? n.ip };
  }
  const name = trimTrailing(host.toLowerCase(), '.');
  const n = normaliseIp(name);
  if (n) return { ip: n.ip };
  return !name.includes('.') || LOCAL_NAME_RE.test(name) ? { local: true } : {};
}

/** "DE, AS3320 Deutsche Telekom AG": where a source is, as far as enrichment knows. */
export function whereText(s: Pick<SourceIndicator, 'country' | 'asn' | 'as_org'>): string {
  return [s.country, s.asn !== null ? `AS${s.asn}${s.as_org ? ` ${s.as_org}` : ''}` : null].filter((x) => x).join(', ');
}

/** Widens R's [first_seen, last_seen] to take in FIRST..LAST. */
function widen(r: { first_seen: string; last_seen: string }, first: string, last = first): void {
  if (first < r.first_seen) r.first_seen = first;
  if (last > r.last_seen) r.last_seen = last;
}

function addCapped<T>(set: Set<T>, v: T): void {
  if (set.size < MAX_RELATED) set.add(v);
}

/** Gathers the indicators of [FROM, TO) from STORE. */
export async function gatherIndicators(store: EventStore, opts: GatherOptions): Promise<Indicators> {
  const left = { internal: 0, private: 0, ignored: 0, long_urls: 0, urls_naming_internal: 0, unparsable_urls: 0, over_cap: 0 };
  const minRank = SEVERITIES.indexOf(opts.minSeverity ?? 'low');
  const enrichment = new Map<string, IpEnrichment>();
  const enrich = async (ips: Iterable<string>): Promise<void> => {
    const missing = [...new Set(ips)].filter((ip) => !enrichment.has(ip));
    if (missing.length > 0) for (const [ip, r] of await store.getEnrichment(missing)) enrichment.set(ip, r);
  };
  /**
   * What may be said of IP: the stored enrichment and the configured networks both have a say (the
   * stored record can predate a change of networks.internal or networks.ignore); the stricter wins.
   */
  const verdict = (ip: string): 'ignored' | 'private' | 'internal' | undefined => {
    const stored = enrichment.get(ip);
    const now = opts.classify?.(ip);
    if (stored?.ignored || now?.ignored) return 'ignored';
    if (stored?.scope === 'private' || now?.scope === 'private' || (!stored && !now && isNonPublic(ip))) return 'private';
    if ((stored?.scope === 'internal' || now?.scope === 'internal') && !opts.includeInternal) return 'internal';
    return undefined;
  };
  /** Whether events of IP may be shared; counts why not, once per address. */
  const refused = new Set<string>();
  const shareable = (ip: string): boolean => {
    const why = verdict(ip);
    if (why === undefined) return true;
    if (!refused.has(ip)) {
      refused.add(ip);
      left[why]++;
    }
    return false;
  };

  // Sources, from the incidents active in the period.
  // Newest first: should the period hold more incidents than one read returns, the oldest are the ones not read.
  const incidents = await store.listIncidents({ activeSince: opts.from, startedBefore: opts.to, order: 'desc', limit: MAX_QUERY_ROWS });
  const incidentsCut = incidents.length >= MAX_QUERY_ROWS;
  await enrich(incidents.map((i) => i.src_ip));
  const bySource = new Map<string, SourceIndicator & { kindSet: Set<IncidentKind>; protoSet: Set<string>; portSet: Set<number> }>();
  for (const inc of incidents) {
    if (!shareable(inc.src_ip)) continue;
    let s = bySource.get(inc.src_ip);
    if (!s) {
      if (bySource.size >= MAX_EXPORT_SOURCES) {
        left.over_cap++;
        continue;
      }
      const r = enrichment.get(inc.src_ip);
      s = {
        ip: inc.src_ip, scope: r?.scope ?? inc.scope, country: r?.country ?? inc.country, asn: r?.asn ?? null, as_org: r?.as_org ?? null,
        first_seen: inc.first_seen, last_seen: inc.last_seen, events: 0, incidents: 0, kinds: [], severity: 'low', protocols: [], dst_ports: [], techniques: [],
        kindSet: new Set(), protoSet: new Set(), portSet: new Set(),
      };
      bySource.set(inc.src_ip, s);
    }
    widen(s, inc.first_seen, inc.last_seen);
    s.events += inc.activity.events;
    s.incidents++;
    s.kindSet.add(inc.kind);
    if (SEVERITIES.indexOf(inc.severity) > SEVERITIES.indexOf(s.severity)) s.severity = inc.severity;
    for (const p of inc.activity.protocols) s.protoSet.add(p);
    for (const p of inc.activity.dst_ports) s.portSet.add(p);
  }
  const sources: SourceIndicator[] = [];
  for (const { kindSet, protoSet, portSet, ...s } of bySource.values()) {
    if (SEVERITIES.indexOf(s.severity) < minRank) continue;
    sources.push({ ...s, kinds: [...kindSet].sort(), protocols: [...protoSet].sort(), dst_ports: [...portSet].sort((a, b) => a - b) });
  }
  // ATT&CK techniques, from the steps of the attack chains each source took in the period.
  const techniques = new Map<string, Set<string>>();
  const candidates: (Omit<ChainIndicator, 'sources'> & { members: string[] })[] = [];
  // A page of chains at a time: their records are large, and only the technique ids are kept.
  for (let offset = 0; offset < MAX_EXPORT_CHAINS; offset += CHAIN_PAGE) {
    const page = await store.listAttacks({ limit: Math.min(CHAIN_PAGE, MAX_EXPORT_CHAINS - offset), offset });
    for (const chain of page) {
      if (chain.last_seen < opts.from || chain.first_seen >= opts.to) continue;
      if (chain.links.length > 0 && candidates.length < MAX_EXPORT_REPORTS) {
        candidates.push({
          id: chain.id, score: chain.score, first_seen: chain.first_seen, last_seen: chain.last_seen,
          members: chain.sources.filter((m) => m.role === 'attacker').map((m) => m.ip),
          services: chain.services, techniques: chain.techniques.map((t) => ({ id: t.id, name: t.name })), intents: chain.intents.map((i) => i.name),
          link_types: [...new Set(chain.links.map((l) => l.type))].sort(), events: chain.events,
        });
      }
      for (const step of chain.steps) {
        if (step.technique === null || !bySource.has(step.src_ip) || step.time < opts.from || step.time >= opts.to) continue;
        let set = techniques.get(step.src_ip);
        if (!set) techniques.set(step.src_ip, (set = new Set()));
        set.add(step.technique);
      }
    }
    if (page.length < CHAIN_PAGE) break;
  }
  for (const s of sources) s.techniques = [...(techniques.get(s.ip) ?? [])].sort().map((id) => ({ id, name: techniqueName(id) }));
  sources.sort((a, b) => b.events - a.events || (a.ip < b.ip ? -1 : 1));
  const exported = new Set(sources.map((s) => s.ip));
  const chains: ChainIndicator[] = [];
  for (const { members, ...c } of candidates) {
    const shared = members.filter((ip) => exported.has(ip));
    if (shared.length > 0) chains.push({ ...c, sources: shared });
  }

  // Files and URLs, from the events that name them.
  const files = new Map<string, { f: FileIndicator; urls: Set<string>; names: Set<string>; how: Set<FileIndicator['how'][number]>; srcs: Set<string> }>();
  const urls = new Map<string, { u: UrlIndicator; hashes: Set<string>; srcs: Set<string> }>();
  const seeFile = (key: { sha256?: string | undefined; md5?: string | undefined }, time: string, how: FileIndicator['how'][number], src: string, extra: { url?: string; name?: string; size?: number }): void => {
    const id = key.sha256 ?? (key.md5 ? `md5:${key.md5}` : undefined);
    if (id === undefined) return;
    let x = files.get(id);
    if (!x) {
      if (files.size >= MAX_EXPORT_FILES) return void left.over_cap++;
      x = { f: { sha256: key.sha256 ?? null, md5: key.md5 ?? null, size: extra.size ?? null, first_seen: time, last_seen: time, sightings: 0, how: [], urls: [], names: [], sources: [] }, urls: new Set(), names: new Set(), how: new Set(), srcs: new Set() };
      files.set(id, x);
    }
    x.f.sightings++;
    widen(x.f, time);
    x.f.md5 ??= key.md5 ?? null;
    x.f.size ??= extra.size ?? null;
    x.how.add(how);
    if (extra.url !== undefined) addCapped(x.urls, extra.url);
    if (extra.name !== undefined) addCapped(x.names, extra.name);
    if (exported.has(src)) addCapped(x.srcs, src);
  };
  const seeUrl = (url: string, time: string, src: string, sha256: string | undefined): string | undefined => {
    if (url.length === 0) return undefined;
    if (url.length > MAX_EXPORT_URL_CHARS) return void left.long_urls++;
    const host = hosts.get(url);
    if (host === undefined) return void left.unparsable_urls++;
    if (host.local || (host.ip !== undefined && !shareableHost(host.ip))) return void left.urls_naming_internal++;
    let x = urls.get(url);
    if (!x) {
      if (urls.size >= MAX_EXPORT_URLS) return void left.over_cap++;
      x = { u: { url, first_seen: time, last_seen: time, sightings: 0, sha256: [], sources: [] }, hashes: new Set(), srcs: new Set() };
      urls.set(url, x);
    }
    x.u.sightings++;
    widen(x.u, time);
    if (sha256 !== undefined) addCapped(x.hashes, sha256);
    if (exported.has(src)) addCapped(x.srcs, src);
    return url;
  };
  const shareableHost = (ip: string): boolean => verdict(ip) === undefined;
  /** The hosts of the URLs of the page being read (each URL parsed once). */
  const hosts = new Map<string, ReturnType<typeof urlHost>>();
  for (const type of FILE_TYPES) {
    for await (const page of store.scanPages({ type, since: opts.from, until: opts.to })) {
      hosts.clear();
      for (const e of page) {
        const p = e.payload as { url?: string; urls?: string[] };
        for (const u of [p.url, ...(p.urls ?? [])]) if (typeof u === 'string' && u.length <= MAX_EXPORT_URL_CHARS && !hosts.has(u)) hosts.set(u, urlHost(u));
      }
      await enrich([...page.map((e) => e.src_ip), ...[...hosts.values()].flatMap((h) => h?.ip ?? [])]);
      for (const e of page) {
        if (!shareable(e.src_ip)) continue;
        if (e.type === 'file.download') {
          const p = e.payload as { url?: string; sha256?: string; md5?: string; size?: number; path?: string };
          const url = p.url === undefined ? undefined : seeUrl(p.url, e.time, e.src_ip, p.sha256);
          seeFile(p, e.time, 'download', e.src_ip, { ...(url !== undefined ? { url } : {}), ...(p.path !== undefined ? { name: p.path } : {}), ...(p.size !== undefined ? { size: p.size } : {}) });
        } else if (e.type === 'file.upload') {
          const p = e.payload as { sha256: string; filename: string; size: number };
          seeFile(p, e.time, 'upload', e.src_ip, { name: p.filename, size: p.size });
        } else if (e.type === 'exploit.attempt') {
          const p = e.payload as { sha256?: string };
          if (p.sha256 !== undefined) seeFile(p, e.time, 'exploit', e.src_ip, {});
        } else {
          for (const u of (e.payload as { urls: string[] }).urls) seeUrl(u, e.time, e.src_ip, undefined);
        }
      }
    }
  }
  // A file known by its MD5 alone (Dionaea logs) that also came with its SHA-256 is one file.
  const byMd5 = new Map([...files.values()].filter((x) => x.f.sha256 !== null && x.f.md5 !== null).map((x) => [x.f.md5!, x]));
  for (const [id, x] of files) {
    const into = x.f.sha256 === null && x.f.md5 !== null ? byMd5.get(x.f.md5) : undefined;
    if (!into) continue;
    into.f.sightings += x.f.sightings;
    widen(into.f, x.f.first_seen, x.f.last_seen);
    for (const v of x.urls) addCapped(into.urls, v);
    for (const v of x.names) addCapped(into.names, v);
    for (const v of x.how) into.how.add(v);
    for (const v of x.srcs) addCapped(into.srcs, v);
    files.delete(id);
  }
  const fileList = [...files.values()].map(({ f, urls: u, names, how, srcs }) => ({ ...f, urls: [...u], names: [...names], how: [...how].sort(), sources: [...srcs] }));
  fileList.sort((a, b) => b.sightings - a.sightings || (a.first_seen < b.first_seen ? -1 : 1));
  const urlList = [...urls.values()].map(({ u, hashes, srcs }) => ({ ...u, sha256: [...hashes], sources: [...srcs] }));
  urlList.sort((a, b) => b.sightings - a.sightings || (a.url < b.url ? -1 : 1));
  return { from: opts.from, to: opts.to, sources, chains, files: fileList, urls: urlList, left_out: left, incidents_cut: incidentsCut };
}
