// Names Dionaea uses (protocols, DCERPC services and their known-vulnerable operations) and Apiary's for them.
import { getOwn } from '../../wire/own-property.js';

/** Bulletins Dionaea marks in dcerpcserviceops; used when a database lacks the lookup tables. */
export const KNOWN_VULNS: Readonly<Record<string, { service: string; ops: Record<number, [string, string?]> }>> = {
  '4b324fc8-1670-01d3-1278-5a47bf6ee188': { service: 'SRVSVC', ops: { 15: ['NetShareEnumAll'], 31: ['NetPathCanonicalize', 'MS08-67'], 32: ['NetPathCompare', 'MS08-67'], 34: ['NetNameCanonicalize'] } },
};

/** CVEs for the bulletins Dionaea names. */
export const BULLETIN_CVE: Readonly<Record<string, string>> = {
  'MS08-067': 'CVE-2008-4250',
  'MS03-026': 'CVE-2003-0352',
  'MS04-011': 'CVE-2003-0533',
  'MS04-012': 'CVE-2003-0813',
  'MS05-039': 'CVE-2005-1983',
  'MS06-066': 'CVE-2006-4688',
  'MS05-017': 'CVE-2005-0059',
  'MS07-065': 'CVE-2007-3039',
  'MS04-031': 'CVE-2004-0206',
  'MS03-039': 'CVE-2003-0715',
};

/** Dionaea's protocol names -> Apiary's. */
export const PROTOCOLS: Readonly<Record<string, string>> = {
  smbd: 'smb',
  epmapper: 'dcerpc',
  httpd: 'http',
  ftpd: 'ftp',
  mysqld: 'mysql',
  mssqld: 'mssql',
  SipSession: 'sip',
  TftpClient: 'tftp',
  TftpServerHandler: 'tftp',
  mqttd: 'mqtt',
  pptpd: 'pptp',
  memcache: 'memcached',
  mongod: 'mongodb',
  upnpd: 'upnp',
  remoteshell: 'shell',
};

/** "MS08-67" (Dionaea's spelling) -> "MS08-067". */
export function normaliseBulletin(v: string): string {
  const m = /^MS(\d{2})-0*(\d{1,3})$/i.exec(v.trim());
  return m ? `MS${m[1]}-${m[2]!.padStart(3, '0')}` : v.trim();
}

// Lookups by names a Dionaea log supplies (a log can come from a compromised honeypot): only own
// entries of these tables, so "constructor" or "__proto__" is an unknown name, not Object's.

/** Apiary's protocol name for Dionaea's RAW (unknown ones as they are, lower-cased; "tcp" when empty). */
export function protocolName(raw: unknown): string {
  const name = typeof raw === 'string' ? raw : '';
  return (getOwn(PROTOCOLS, name) ?? (name || 'tcp')).toLowerCase().slice(0, 32);
}

/** The well-known DCE/RPC interface UUID names, or undefined. */
export function knownVuln(uuid: string): { service: string; ops: Record<number, [string, string?]> } | undefined {
  return getOwn(KNOWN_VULNS, uuid.toLowerCase());
}

/** The operation OPNUM of a well-known interface, or undefined. */
export function knownOp(uuid: string, opnum: number): [string, string?] | undefined {
  const known = knownVuln(uuid);
  return known && Number.isInteger(opnum) ? getOwn(known.ops as Record<string, [string, string?]>, String(opnum)) : undefined;
}

/** The CVE of a normalised bulletin name, or undefined. */
export function bulletinCve(vuln: string): string | undefined {
  return getOwn(BULLETIN_CVE, vuln);
}
