// Offline GeoIP: country and ASN from MaxMind-format (.mmdb) files, read with the `maxmind` package.
// By default the free databases shipped in npm packages are used (country: @ip-location-db's
// geo-whois-asn-country, CC0; ASN: @ip-location-db/asn's ranges); an operator's own GeoLite2/GeoIP2
// Country/City and ASN files can be configured instead. Nothing is downloaded.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Reader } from 'maxmind';
import { ApiaryError } from '../errors/errors.js';
import { AsnTable, type AsnRecord } from './asn-table.js';
import { normaliseIp } from './networks.js';

export interface GeoIpConfig {
  /** A .mmdb with country data (GeoLite2-Country, GeoLite2-City, or an ip-location-db country file). */
  country_db?: string | undefined;
  /** A .mmdb with ASN data (GeoLite2-ASN); the shipped ASN table when unset. */
  asn_db?: string | undefined;
}

export interface GeoLookup {
  country: string | undefined;
  asn: AsnRecord | undefined;
}

export interface GeoIp {
  lookup(ip: string): GeoLookup;
  /** Where the data came from, for reports ("how each number was counted"). */
  readonly sources: { country: string; asn: string };
}

/**
 * Decoded records kept per database, by their offset in the file: a country database holds a few
 * hundred, so each lookup after the first few skips decoding (about 1.5 of 2.7 µs per lookup). A City
 * or ASN database holds far more; past this the cache starts over.
 */
export const MAX_CACHED_GEOIP_RECORDS = 10_000;

/** The decoder's cache (get/set by offset), bounded by MAX_CACHED_GEOIP_RECORDS. */
function recordCache(): { get(key: string | number): unknown; set(key: string | number, value: unknown): void } {
  const records = new Map<string | number, unknown>();
  return {
    get: (key) => records.get(key),
    set(key, value) {
      if (records.size >= MAX_CACHED_GEOIP_RECORDS) records.clear();
      records.set(key, value);
    },
  };
}

/** Refuse to read a GeoIP file larger than this (GeoLite2-City is about 60 MB). */
export const MAX_GEOIP_FILE_BYTES = 512 * 1024 * 1024;

export function shippedCountryDb(): string {
  const require = createRequire(import.meta.url);
  return require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
}

interface CountryRecord {
  country_code?: unknown;
  country?: { iso_code?: unknown };
  registered_country?: { iso_code?: unknown };
}

interface AsnMmdbRecord {
  autonomous_system_number?: unknown;
  autonomous_system_organization?: unknown;
}

function openMmdb<T>(path: string, key: string, expect: RegExp): Reader<T & object> {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new ApiaryError('APIARY_GEOIP', `key ${key}: cannot read GeoIP database ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix the path or remove the key to use the shipped database`);
  }
  if (buf.length > MAX_GEOIP_FILE_BYTES) {
    throw new ApiaryError('APIARY_GEOIP', `key ${key}: ${path} is ${buf.length} bytes, over the ${MAX_GEOIP_FILE_BYTES} limit; is it a GeoIP database?`);
  }
  let reader: Reader<T & object>;
  try {
    reader = new Reader<T & object>(buf, { cache: recordCache() });
    // A probe lookup walks the search tree and decodes a record: a truncated or corrupt file fails here, not later.
    reader.get('8.8.8.8');
    if (reader.metadata.ipVersion === 6) reader.get('2001:4860:4860::8888');
  } catch (err) {
    throw new ApiaryError('APIARY_GEOIP', `key ${key}: ${path} is not a valid MaxMind DB file (${(err as Error).message}); replace it with a GeoLite2 .mmdb or remove the key`);
  }
  if (!expect.test(reader.metadata.databaseType)) {
    throw new ApiaryError('APIARY_GEOIP', `key ${key}: ${path} is a "${reader.metadata.databaseType}" database; expected ${expect.source.replace(/[()]/g, '')} data`);
  }
  return reader;
}

/**
 * A database checked now and read into memory on first use: OPEN reads and checks it, so start-up
 * fails on a bad file, but the buffer is then dropped and read again only when the first public
 * address is looked up. A sensor that sees only private or internal sources (an internal honeypot, or
 * a benchmark on loopback) never holds it: the shipped country database alone is 7.5 MB. If the file
 * has gone bad by then, every lookup throws that error (the batch is stored unenriched and `apiary
 * enrich` redoes it once the file is fixed) without reading the file again.
 */
function checkedThenLazy<T>(open: () => T): () => T {
  open();
  let value: T | undefined;
  let failure: unknown;
  return () => {
    if (value !== undefined) return value;
    if (failure !== undefined) throw failure;
    try {
      return (value = open());
    } catch (err) {
      failure = err;
      throw err;
    }
  };
}

/** The shipped country database's path; APIARY_GEOIP when its package is not installed. */
function installedCountryDb(): string {
  try {
    return shippedCountryDb();
  } catch (err) {
    throw new ApiaryError('APIARY_GEOIP', `the shipped country database (@ip-location-db/geo-whois-asn-country-mmdb) is not installed (${(err as Error).message.split('\n')[0]}); reinstall Apiary's dependencies or set geoip.country_db`);
  }
}

/** Opens the configured (or shipped) databases; throws APIARY_GEOIP naming the key on any bad file. */
export function openGeoIp(cfg: GeoIpConfig = {}): GeoIp {
  const countryPath = cfg.country_db ?? installedCountryDb();
  const countries = checkedThenLazy(() => openMmdb<CountryRecord>(countryPath, cfg.country_db ? 'geoip.country_db' : '(shipped country database)', /(country|city)/i));
  let asnLookup: (ip: string) => AsnRecord | undefined;
  let asnSource: string;
  const asnPath = cfg.asn_db;
  if (asnPath) {
    const asns = checkedThenLazy(() => openMmdb<AsnMmdbRecord>(asnPath, 'geoip.asn_db', /asn/i));
    asnSource = asnPath;
    asnLookup = (ip) => {
      const r = asns().get(ip);
      const asn = r?.autonomous_system_number;
      if (typeof asn !== 'number') return undefined;
      const org = r?.autonomous_system_organization;
      return { asn, org: typeof org === 'string' ? org : '' };
    };
  } else {
    // The shipped table is about 500,000 ranges: checked now, loaded on the first public address,
    // like the country database.
    try {
      AsnTable.check();
    } catch (err) {
      throw new ApiaryError('APIARY_GEOIP', `the shipped ASN table (@ip-location-db/asn) cannot be read: ${(err as Error).message}; reinstall Apiary's dependencies or set geoip.asn_db`);
    }
    let table: AsnTable | undefined;
    asnSource = '@ip-location-db/asn (RouteViews, DB-IP; CC BY 4.0)';
    asnLookup = (ip) => (table ??= AsnTable.load()).lookup(ip);
  }
  return {
    sources: { country: cfg.country_db ?? '@ip-location-db/geo-whois-asn-country-mmdb (CC0)', asn: asnSource },
    lookup(ip: string): GeoLookup {
      const n = normaliseIp(ip);
      if (!n) return { country: undefined, asn: undefined };
      const r = countries().get(n.ip);
      const code = r?.country_code ?? r?.country?.iso_code ?? r?.registered_country?.iso_code;
      return { country: typeof code === 'string' && /^[A-Z]{2}$/.test(code) ? code : undefined, asn: asnLookup(n.ip) };
    },
  };
}
