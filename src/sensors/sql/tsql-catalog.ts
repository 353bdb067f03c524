// SQL Server's catalogue as the MSSQL decoy shows it: server configuration options (sys.configurations
// and sp_configure, reflecting what this connection configured and installed with RECONFIGURE), server
// principals, this session in sys.dm_exec_sessions, and database ids and sizes (sys.databases,
// sp_databases). Pure data: the engine and the MSSQL session both read it.
import type { ColumnKind, Database, Value } from './decoy-data.js';

/** One server option: sys.configurations' id, name, range, default, whether it is dynamic and advanced. */
export interface ServerOption {
  id: number;
  name: string;
  min: number;
  max: number;
  value: number;
  description: string;
  dynamic: boolean;
  advanced: boolean;
}

/** The options attackers read and change, and some of their neighbours, as SQL Server 2019 lists them. */
export const SERVER_OPTIONS: readonly ServerOption[] = [
  { id: 102, name: 'allow updates', min: 0, max: 1, value: 0, description: 'Allow updates to system tables', dynamic: true, advanced: false },
  { id: 103, name: 'user connections', min: 0, max: 32767, value: 0, description: 'Number of user connections allowed', dynamic: false, advanced: true },
  { id: 117, name: 'remote access', min: 0, max: 1, value: 1, description: 'Allow remote access', dynamic: false, advanced: false },
  { id: 505, name: 'network packet size (B)', min: 512, max: 32767, value: 4096, description: 'Network packet size', dynamic: true, advanced: true },
  { id: 518, name: 'show advanced options', min: 0, max: 1, value: 0, description: 'show advanced options', dynamic: true, advanced: false },
  { id: 1538, name: 'cost threshold for parallelism', min: 0, max: 32767, value: 5, description: 'cost threshold for parallelism', dynamic: true, advanced: true },
  { id: 1539, name: 'max degree of parallelism', min: 0, max: 32767, value: 0, description: 'maximum degree of parallelism', dynamic: true, advanced: true },
  { id: 1544, name: 'max server memory (MB)', min: 128, max: 2147483647, value: 2147483647, description: 'Maximum size of server memory (MB)', dynamic: true, advanced: true },
  { id: 1562, name: 'clr enabled', min: 0, max: 1, value: 0, description: 'CLR user code execution enabled in the server', dynamic: true, advanced: false },
  { id: 1576, name: 'remote admin connections', min: 0, max: 1, value: 0, description: 'Dedicated Admin Connections are allowed from remote clients', dynamic: true, advanced: false },
  { id: 1579, name: 'backup compression default', min: 0, max: 1, value: 0, description: 'Enable compression of backups by default', dynamic: true, advanced: false },
  { id: 16384, name: 'Agent XPs', min: 0, max: 1, value: 1, description: 'Enable or disable Agent XPs', dynamic: true, advanced: true },
  { id: 16386, name: 'Database Mail XPs', min: 0, max: 1, value: 0, description: 'Enable or disable Database Mail XPs', dynamic: true, advanced: true },
  { id: 16388, name: 'Ole Automation Procedures', min: 0, max: 1, value: 0, description: 'Enable or disable Ole Automation Procedures', dynamic: true, advanced: true },
  { id: 16390, name: 'xp_cmdshell', min: 0, max: 1, value: 0, description: 'Enable or disable command shell', dynamic: true, advanced: true },
  { id: 16391, name: 'Ad Hoc Distributed Queries', min: 0, max: 1, value: 0, description: 'Enable or disable Ad Hoc Distributed Queries', dynamic: true, advanced: true },
  { id: 16393, name: 'contained database authentication', min: 0, max: 1, value: 0, description: 'Enables contained databases and contained authentication', dynamic: true, advanced: false },
];

/** What one connection did to the server options: values set by sp_configure, and those RECONFIGURE installed (lower-cased names). */
export interface ServerConfigState {
  configured: ReadonlyMap<string, number>;
  installed: ReadonlyMap<string, number>;
}

/** An option's config_value (value) and run_value (value_in_use) in STATE. */
export function optionValues(o: ServerOption, state: ServerConfigState | undefined): { value: number; inUse: number } {
  const key = o.name.toLowerCase();
  return { value: state?.configured.get(key) ?? o.value, inUse: state?.installed.get(key) ?? o.value };
}

interface CatalogTable {
  columns: { name: string; kind: ColumnKind }[];
  rows: Value[][];
}

const col = (name: string, kind: ColumnKind = 'text'): { name: string; kind: ColumnKind } => ({ name, kind });

/** sys.configurations: every option, whatever show advanced options says (it only hides them from sp_configure). */
export function configurationsTable(state: ServerConfigState | undefined): CatalogTable {
  return {
    columns: [col('configuration_id', 'int'), col('name'), col('value', 'int'), col('minimum', 'int'), col('maximum', 'int'), col('value_in_use', 'int'), col('description'), col('is_dynamic', 'int'), col('is_advanced', 'int')],
    rows: SERVER_OPTIONS.map((o) => {
      const v = optionValues(o, state);
      return [o.id, o.name, v.value, o.min, o.max, v.inUse, o.description, o.dynamic ? 1 : 0, o.advanced ? 1 : 0];
    }),
  };
}

/** Databases every SQL Server has, with their fixed ids, in id order. */
export const SYSTEM_DATABASE_IDS: readonly [string, number][] = [
  ['master', 1],
  ['tempdb', 2],
  ['model', 3],
  ['msdb', 4],
];

/** Databases of other servers that the decoy's generated catalogue holds and SQL Server would not show. */
const NOT_ON_SQL_SERVER = new Set(['information_schema', 'performance_schema', 'sys', 'mysql']);

/** The user databases of VIEW as SQL Server numbers them (5 on), each listed once. */
export function userDatabases(view: ReadonlyMap<string, Database>): { db: Database; id: number }[] {
  const seen = new Set<string>(SYSTEM_DATABASE_IDS.map(([n]) => n));
  const out: { db: Database; id: number }[] = [];
  for (const db of view.values()) {
    const key = db.name.toLowerCase();
    if (seen.has(key) || NOT_ON_SQL_SERVER.has(key)) continue;
    seen.add(key);
    out.push({ db, id: 5 + out.length });
  }
  return out;
}

/** The database id of NAME (DB_ID(), dm_exec_sessions), or undefined when there is none. */
export function databaseId(view: ReadonlyMap<string, Database>, name: string): number | undefined {
  const key = name.toLowerCase();
  const sys = SYSTEM_DATABASE_IDS.find(([n]) => n === key);
  if (sys) return sys[1];
  return userDatabases(view).find((u) => u.db.name.toLowerCase() === key)?.id;
}

/** Sizes in KB of the system databases on a fresh SQL Server 2019 (data plus log files). */
const SYSTEM_DATABASE_KB: Record<string, number> = { master: 7168, tempdb: 16384, model: 16384, msdb: 21504 };

/** sp_databases: each database once, sorted by name (as its ORDER BY does), size in KB. */
export function spDatabasesRows(view: ReadonlyMap<string, Database>): Value[][] {
  const rows: Value[][] = SYSTEM_DATABASE_IDS.map(([n]) => [n, SYSTEM_DATABASE_KB[n] ?? 8192, null]);
  for (const { db } of userDatabases(view)) {
    // A data file grown in 64 MB steps over an 8 MB log, larger with more rows.
    let cells = 0;
    for (const t of db.tables.values()) cells += t.rows.length * Math.max(1, t.columns.length);
    rows.push([db.name, 8192 + 65536 * Math.max(1, Math.ceil(cells / 20_000)), null]);
  }
  return rows.sort((a, b) => (String(a[0]).toLowerCase() < String(b[0]).toLowerCase() ? -1 : 1));
}

/** sys.server_principals: the sa login, the fixed server roles, the service and system logins, the app's login and this one. */
export function serverPrincipalsTable(user: string, appLogin: string): CatalogTable {
  const created = '2003-04-08 09:10:35.460';
  const installed = '2023-02-14 10:17:02.113';
  const row = (name: string, id: number, sid: string, type: string, desc: string, disabled = 0, at = created): Value[] => [name, id, sid, type, desc, disabled, at, at, 'master'];
  const rows: Value[][] = [
    row('sa', 1, '0x01', 'S', 'SQL_LOGIN'),
    row('public', 2, '0x02', 'R', 'SERVER_ROLE'),
    row('sysadmin', 3, '0x03', 'R', 'SERVER_ROLE'),
    row('securityadmin', 4, '0x04', 'R', 'SERVER_ROLE'),
    row('serveradmin', 5, '0x05', 'R', 'SERVER_ROLE'),
    row('setupadmin', 6, '0x06', 'R', 'SERVER_ROLE'),
    row('processadmin', 7, '0x07', 'R', 'SERVER_ROLE'),
    row('diskadmin', 8, '0x08', 'R', 'SERVER_ROLE'),
    row('dbcreator', 9, '0x09', 'R', 'SERVER_ROLE'),
    row('bulkadmin', 10, '0x0A', 'R', 'SERVER_ROLE'),
    row('##MS_SQLResourceSigningCertificate##', 101, '0x010600000000000901000000FB1B6CE60EDA55E1D3DDE93B99DB322BFC435563', 'C', 'CERTIFICATE_MAPPED_LOGIN', 0, installed),
    row('##MS_PolicyEventProcessingLogin##', 256, '0x9E3D2C7E1A5B2F44A3A0F1C2B2A1E0D1', 'S', 'SQL_LOGIN', 1, installed),
    row('NT SERVICE\\SQLWriter', 259, '0x010600000000000550000000732B9753646EF90356745CB675C3AA6CD6B4D28B', 'U', 'WINDOWS_LOGIN', 0, installed),
    row('NT SERVICE\\Winmgmt', 260, '0x0106000000000005500000005A048DDFF9C7430AB450D4E7477A2172AB4170F4', 'U', 'WINDOWS_LOGIN', 0, installed),
    row('NT Service\\MSSQLSERVER', 261, '0x010600000000000550000000E20F4FE7B15874E48E19026478C2DC9AC307B83E', 'U', 'WINDOWS_LOGIN', 0, installed),
    row('NT AUTHORITY\\SYSTEM', 262, '0x010100000000000512000000', 'U', 'WINDOWS_LOGIN', 0, installed),
    row('NT SERVICE\\SQLSERVERAGENT', 263, '0x010600000000000550000000DCA88F14B79FD47A992A3D8943F829A726066357', 'U', 'WINDOWS_LOGIN', 0, installed),
    row(appLogin, 267, '0x5B0E7B1C4F9A8D4CB4E1E2A17C9D3F60', 'S', 'SQL_LOGIN', 0, '2023-02-14 10:22:41.357'),
  ];
  if (!rows.some((r) => String(r[0]).toLowerCase() === user.toLowerCase())) rows.push(row(user, 268, '0x8C1F3A2B7D6E4F50A1B2C3D4E5F60718', 'S', 'SQL_LOGIN', 0, '2024-06-03 14:51:09.220'));
  return {
    columns: [col('name'), col('principal_id', 'int'), col('sid'), col('type'), col('type_desc'), col('is_disabled', 'int'), col('create_date'), col('modify_date'), col('default_database_name')],
    rows,
  };
}

/** What a T-SQL session knows of its client from the login (sys.dm_exec_sessions, HOST_NAME(), APP_NAME()). */
export interface LoginInfo {
  /** The workstation name the client sent. */
  host: string;
  /** The application name and the client library's name. */
  app: string;
  library: string;
  /** When the login completed (ms since the epoch). */
  atMs: number;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** sys.dm_exec_sessions: this session's row. */
export function execSessionsTable(s: { connectionId: number; user: string; login?: LoginInfo; databaseId: number; nowMs: number }): CatalogTable {
  const login = s.login;
  return {
    columns: [
      col('session_id', 'int'), col('login_time'), col('host_name'), col('program_name'), col('host_process_id', 'int'), col('client_version', 'int'), col('client_interface_name'),
      col('login_name'), col('nt_domain'), col('nt_user_name'), col('status'), col('cpu_time', 'int'), col('memory_usage', 'int'), col('last_request_start_time'),
      col('is_user_process', 'int'), col('database_id', 'int'), col('original_login_name'),
    ],
    rows: [
      [
        s.connectionId, stamp(login?.atMs ?? s.nowMs), login?.host ?? '', login?.app ?? '', null, 7, login?.library ?? '',
        s.user, '', '', 'running', 0, 2, stamp(s.nowMs),
        1, s.databaseId, s.user,
      ],
    ],
  };
}
