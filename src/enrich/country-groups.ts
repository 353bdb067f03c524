// Time-aware country groups: NATO members with accession dates, NATO candidates and partners, EU
// members, and groups from the config. A country's membership is taken at the event's time, so an
// attack from Finland in 2019 counts as non-NATO and one in 2024 as NATO.

/** One spell of membership: from `since` (inclusive) to `until` (exclusive), ISO dates. */
export interface Membership {
  country: string;
  since?: string | undefined;
  until?: string | undefined;
}

export interface CountryGroup {
  name: string;
  description: string;
  members: readonly Membership[];
}

const spells = (since: string, codes: string, until?: string): Membership[] => codes.split(' ').map((country) => ({ country, since, until }));

/** Dates of accession (instrument deposited), per nato.int "Member countries". */
export const NATO_MEMBERS: readonly Membership[] = [
  ...spells('1949-08-24', 'BE CA DK FR IS IT LU NL NO PT GB US'),
  ...spells('1952-02-18', 'GR TR'),
  ...spells('1955-05-06', 'DE'),
  ...spells('1982-05-30', 'ES'),
  ...spells('1999-03-12', 'CZ HU PL'),
  ...spells('2004-03-29', 'BG EE LV LT RO SK SI'),
  ...spells('2009-04-01', 'AL HR'),
  ...spells('2017-06-05', 'ME'),
  ...spells('2020-03-27', 'MK'),
  ...spells('2023-04-04', 'FI'),
  ...spells('2024-03-07', 'SE'),
];

/**
 * Countries on the way in: invited, in the Membership Action Plan, or recognised aspirants, until
 * they joined. Dates are those of the invitation, MAP entry or the summit that recognised them.
 */
export const NATO_CANDIDATES: readonly Membership[] = [
  ...spells('1997-07-08', 'CZ HU PL', '1999-03-12'),
  ...spells('1999-04-24', 'BG EE LV LT RO SK SI', '2004-03-29'),
  ...spells('1999-04-24', 'AL', '2009-04-01'),
  ...spells('2002-05-14', 'HR', '2009-04-01'),
  ...spells('1999-04-24', 'MK', '2020-03-27'),
  ...spells('2009-12-04', 'ME', '2017-06-05'),
  ...spells('2010-04-22', 'BA'),
  ...spells('2008-04-03', 'GE UA'),
  ...spells('2022-05-18', 'FI', '2023-04-04'),
  ...spells('2022-05-18', 'SE', '2024-03-07'),
];

/**
 * Partners that are neither members nor candidates at the time: Partnership for Peace (from 1994)
 * and partners across the globe. Russia's and Belarus's practical cooperation ended in 2014 and 2022.
 */
export const NATO_PARTNERS: readonly Membership[] = [
  ...spells('1994-01-10', 'AM AT AZ IE KZ KG MD CH TJ TM UZ UA GE'),
  ...spells('1994-01-10', 'FI', '2023-04-04'),
  ...spells('1994-01-10', 'SE', '2024-03-07'),
  ...spells('1994-01-10', 'RU', '2014-04-01'),
  ...spells('1995-01-11', 'BY', '2022-02-24'),
  ...spells('2006-12-14', 'BA RS'),
  ...spells('2006-12-14', 'ME', '2017-06-05'),
  ...spells('2008-04-03', 'MT'),
  ...spells('2012-01-01', 'AU JP KR NZ MN IQ PK CO AF'),
];

/** EU members with accession dates (the UK until its withdrawal on 2020-01-31). */
export const EU_MEMBERS: readonly Membership[] = [
  ...spells('1958-01-01', 'BE DE FR IT LU NL'),
  ...spells('1973-01-01', 'DK IE'),
  ...spells('1973-01-01', 'GB', '2020-02-01'),
  ...spells('1981-01-01', 'GR'),
  ...spells('1986-01-01', 'ES PT'),
  ...spells('1995-01-01', 'AT FI SE'),
  ...spells('2004-05-01', 'CY CZ EE HU LV LT MT PL SK SI'),
  ...spells('2007-01-01', 'BG RO'),
  ...spells('2013-07-01', 'HR'),
];

export const BUILTIN_GROUPS: readonly CountryGroup[] = [
  { name: 'nato', description: 'NATO member at the event time', members: NATO_MEMBERS },
  { name: 'nato-candidate', description: 'NATO candidate or aspirant (invited, MAP, recognised) at the event time', members: NATO_CANDIDATES },
  { name: 'nato-partner', description: 'NATO partner (Partnership for Peace, global partners) at the event time', members: NATO_PARTNERS },
  { name: 'eu', description: 'EU member at the event time', members: EU_MEMBERS },
];

/** Derived group: a known country that is not a NATO member at the event time (the paper's "non-NATO"). */
export const NON_NATO = 'non-nato';

function holds(m: Membership, country: string, day: string): boolean {
  return m.country === country && (m.since === undefined || m.since <= day) && (m.until === undefined || day < m.until);
}

export class CountryGroups {
  readonly groups: readonly CountryGroup[];
  private readonly byCountry = new Map<string, { group: string; m: Membership }[]>();

  constructor(extra: readonly CountryGroup[] = []) {
    this.groups = [...BUILTIN_GROUPS, ...extra];
    for (const g of this.groups) {
      for (const m of g.members) {
        const list = this.byCountry.get(m.country) ?? [];
        list.push({ group: g.name, m });
        this.byCountry.set(m.country, list);
      }
    }
  }

  /** Every group name in report order: the built-ins, "non-nato", then the config's. */
  names(): string[] {
    return [...BUILTIN_GROUPS.map((g) => g.name), NON_NATO, ...this.groups.slice(BUILTIN_GROUPS.length).map((g) => g.name)];
  }

  /** Groups COUNTRY belongs to at TIME (ISO 8601). A country in no group at all is still "non-nato". */
  at(country: string | undefined, time: string): string[] {
    if (!country) return [];
    const day = time.slice(0, 10);
    const out: string[] = [];
    for (const { group, m } of this.byCountry.get(country) ?? []) {
      if (holds(m, country, day) && !out.includes(group)) out.push(group);
    }
    if (!out.includes('nato')) out.push(NON_NATO);
    return out;
  }
}
