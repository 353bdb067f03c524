// Builds the enricher and the country groups from the validated configuration.
import type { Config } from '../config/schema.js';
import { CountryGroups, type CountryGroup } from './country-groups.js';
import { Enricher } from './enricher.js';
import { openGeoIp, type GeoIp } from './geoip.js';

/** Opens the GeoIP databases (APIARY_GEOIP when one is missing or corrupt) and returns the enricher. */
export function enricherFromConfig(config: Pick<Config, 'geoip' | 'networks'>, geoip: GeoIp = geoIpFromConfig(config)): Enricher {
  return new Enricher({
    internal: config.networks.internal,
    internalAsns: config.networks.internal_asns,
    ignore: config.networks.ignore,
    overrides: config.geoip.overrides,
    geoip,
  });
}

/**
 * An enricher for telling internal, private and ignored addresses apart: the configured ranges alone,
 * without loading the GeoIP tables, unless networks.internal_asns needs an address's ASN (then FULL's).
 */
export function classifierFromConfig(config: Pick<Config, 'geoip' | 'networks'>, full: () => Enricher = () => enricherFromConfig(config)): Enricher {
  if (config.networks.internal_asns.length > 0) return full();
  return new Enricher({ internal: config.networks.internal, internalAsns: [], ignore: config.networks.ignore, overrides: config.geoip.overrides, geoip: undefined });
}

export function geoIpFromConfig(config: Pick<Config, 'geoip'>): GeoIp {
  return openGeoIp({ country_db: config.geoip.country_db, asn_db: config.geoip.asn_db });
}

export function countryGroupsFromConfig(config: Pick<Config, 'country_groups'>): CountryGroups {
  const extra: CountryGroup[] = config.country_groups.map((g) => ({
    name: g.name,
    description: g.description,
    members: g.members.map((m) => (typeof m === 'string' ? { country: m } : m)),
  }));
  return new CountryGroups(extra);
}
