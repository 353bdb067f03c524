// Country groups follow the event's date: NATO accession, candidacy, the EU, config-defined groups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CountryGroups, NATO_MEMBERS } from '../../src/enrich/country-groups.js';
import { countryGroupsFromConfig } from '../../src/enrich/from-config.js';
import { validateConfig } from '../../src/config/load.js';

const g = new CountryGroups();

test('NATO membership follows the event date', () => {
  assert.deepEqual(g.at('FI', '2019-06-01T00:00:00Z'), ['nato-partner', 'eu', 'non-nato']);
  assert.deepEqual(g.at('FI', '2022-09-01T00:00:00Z').sort(), ['eu', 'nato-candidate', 'nato-partner', 'non-nato']);
  assert.deepEqual(g.at('FI', '2024-01-01T00:00:00Z'), ['nato', 'eu']);
  assert.ok(g.at('FI', '2023-04-04T00:00:00Z').includes('nato'), 'member from the day of accession');
  assert.ok(!g.at('FI', '2023-04-03T23:59:59Z').includes('nato'));
  assert.ok(!g.at('SE', '2023-12-31T00:00:00Z').includes('nato'));
  assert.ok(g.at('SE', '2024-03-07T00:00:00Z').includes('nato'));
  assert.ok(g.at('MK', '2012-01-01T00:00:00Z').includes('nato-candidate'));
  assert.ok(g.at('MK', '2021-01-01T00:00:00Z').includes('nato'));
  assert.ok(g.at('PL', '1998-01-01T00:00:00Z').includes('nato-candidate'));
  assert.ok(g.at('GB', '2019-01-01T00:00:00Z').includes('eu'));
  assert.ok(!g.at('GB', '2021-01-01T00:00:00Z').includes('eu'), 'the UK left the EU on 2020-01-31');
  assert.deepEqual(g.at('CN', '2024-01-01T00:00:00Z'), ['non-nato']);
  assert.deepEqual(g.at(undefined, '2024-01-01T00:00:00Z'), []);
  assert.equal(new Set(NATO_MEMBERS.map((m) => m.country)).size, 32, 'NATO has 32 members');
});

test('groups defined in the config, with spells of membership', () => {
  const config = validateConfig({
    country_groups: [{ name: 'five-eyes', description: 'FVEY', members: ['US', 'GB', 'CA', 'AU', 'NZ'] }, { name: 'trial', members: [{ country: 'ES', since: '2020-01-01', until: '2021-01-01' }] }],
  });
  const cg = countryGroupsFromConfig(config);
  assert.ok(cg.at('NZ', '2010-01-01T00:00:00Z').includes('five-eyes'));
  assert.ok(cg.at('ES', '2020-06-01T00:00:00Z').includes('trial'));
  assert.ok(!cg.at('ES', '2021-06-01T00:00:00Z').includes('trial'));
  assert.deepEqual(cg.names().slice(-2), ['five-eyes', 'trial']);
  assert.throws(() => validateConfig({ country_groups: [{ name: 'x', members: ['Spain'] }] }), /country_groups\[0\]\.members\[0\]/);
});
