// The decoy database contents, generated per install from a seed: an application database
// (customers, orders, users, admins) whose admin credentials are honeytokens.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Value = string | number | null;
export type ColumnKind = 'int' | 'text' | 'datetime' | 'decimal';

export interface TableColumn {
  name: string;
  kind: ColumnKind;
  /** The type as SHOW COLUMNS prints it, e.g. "varchar(64)". */
  sqlType: string;
  key?: 'PRI' | 'MUL' | 'UNI';
  nullable?: boolean;
  autoIncrement?: boolean;
}

export interface Table {
  name: string;
  columns: TableColumn[];
  rows: Value[][];
  autoIncrement: number;
}

export interface Database {
  name: string;
  tables: Map<string, Table>;
}

/**
 * A fake secret planted in the decoy, registered so its later use anywhere can be recognised. Field
 * names follow the `shell` branch's Honeytoken (src/events/honeytokens.ts there) so both sensors
 * announce tokens with the same `honeytoken.planted` payload.
 */
export interface Honeytoken {
  /** Stable id: first 16 hex of SHA-256 over kind, user, secret and where. */
  id: string;
  /** What the secret opens: 'ssh' (staff logins, accepted on every login service), 'mysql' (a database account). */
  kind: 'mysql' | 'ssh';
  username: string;
  secret: string;
  /** Where it is planted, e.g. "mysql:webshop.admins". */
  locations: string[];
  /** Whether the auth policy accepts this user and secret on every login service. */
  accepted: boolean;
}

export interface DecoyData {
  appDatabase: string;
  databases: Map<string, Database>;
  honeytokens: Honeytoken[];
}

/** Bytes of seed kept per install; the same seed always gives the same decoy. */
export const SEED_BYTES = 16;

/** Reads the install's decoy seed from DIR, creating it on first start. */
export function loadOrCreateSeed(dir: string): Buffer {
  const path = join(dir, 'decoy-seed');
  if (existsSync(path)) {
    const hex = readFileSync(path, 'utf8').trim();
    if (/^[0-9a-f]{32}$/.test(hex)) return Buffer.from(hex, 'hex');
  }
  mkdirSync(dir, { recursive: true });
  const seed = randomBytes(SEED_BYTES);
  writeFileSync(path, `${seed.toString('hex')}\n`, { mode: 0o600 });
  return seed;
}

/** A small deterministic generator (mulberry32) so one seed gives one decoy. */
export function seededRandom(seed: Buffer): () => number {
  let a = seed.readUInt32LE(0) ^ seed.readUInt32LE(4) ^ seed.readUInt32LE(8) ^ seed.readUInt32LE(12);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['James', 'Maria', 'David', 'Laura', 'Carlos', 'Emma', 'Daniel', 'Sofia', 'Michael', 'Lucia', 'Thomas', 'Anna', 'Pablo', 'Julia', 'Robert', 'Elena', 'Javier', 'Sarah', 'Miguel', 'Paula', 'Peter', 'Claire', 'Antonio', 'Nadia', 'Oliver', 'Irene', 'Marco', 'Hannah', 'Luis', 'Chloe'];
const LAST = ['Garcia', 'Smith', 'Martinez', 'Johnson', 'Lopez', 'Brown', 'Sanchez', 'Williams', 'Perez', 'Jones', 'Gomez', 'Miller', 'Fernandez', 'Davis', 'Ruiz', 'Wilson', 'Diaz', 'Moore', 'Moreno', 'Taylor', 'Alvarez', 'Clark', 'Romero', 'Lewis', 'Navarro', 'Walker', 'Torres', 'Hall', 'Dominguez', 'Young'];
const CITIES = ['Madrid', 'Granada', 'Sevilla', 'Valencia', 'Barcelona', 'Malaga', 'Bilbao', 'London', 'Manchester', 'Lyon', 'Paris', 'Berlin', 'Munich', 'Lisbon', 'Porto', 'Milan', 'Rome', 'Dublin', 'Amsterdam', 'Brussels'];
const MAIL = ['gmail.com', 'hotmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'gmx.de', 'protonmail.com'];
const APPS = ['webshop', 'shopdb', 'crm', 'billing', 'portal', 'erp_prod', 'store'];
const COMPANY = ['acme', 'globex', 'initech', 'umbrella', 'vandelay', 'hooli', 'stark'];
const WORDS = ['Summer', 'Winter', 'Dragon', 'Falcon', 'Sunset', 'Ocean', 'Monkey', 'Tiger', 'Rocket', 'Shadow', 'Silver', 'Phoenix', 'Granada', 'Alhambra', 'Madrid'];
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'];
const ROLES = ['customer', 'customer', 'customer', 'editor', 'support'];

function tokenId(kind: string, value: string, where: string): string {
  return createHash('sha256').update(`${kind}\0${value}\0${where}`).digest('hex').slice(0, 16);
}

/** The mysql.user authentication_string for a native password: '*' + upper hex SHA1(SHA1(password)). */
export function mysqlNativeHash(password: string): string {
  const inner = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(inner).digest('hex').toUpperCase()}`;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function col(name: string, kind: ColumnKind, sqlType: string, extra: Partial<TableColumn> = {}): TableColumn {
  return { name, kind, sqlType, nullable: true, ...extra };
}

function idCol(): TableColumn {
  return col('id', 'int', 'int(11)', { key: 'PRI', nullable: false, autoIncrement: true });
}

export interface DecoyOptions {
  seed: Buffer;
  /** Epoch ms the dates are spread back from (injected so output is reproducible). */
  now: number;
  /** Name of the application database; chosen from the seed when unset. */
  appDatabase?: string;
  customers?: number;
  orders?: number;
}

/** Generates the decoy for one install. Deterministic in its options. */
export function generateDecoy(opts: DecoyOptions): DecoyData {
  const rnd = seededRandom(opts.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const day = 86_400_000;
  const date = (maxDaysBack: number): string => {
    const d = new Date(opts.now - int(1, maxDaysBack) * day - int(0, day - 1));
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  };
  const app = opts.appDatabase ?? pick(APPS);
  const company = pick(COMPANY);
  const password = (): string => `${pick(WORDS)}${int(1970, 2025)}${pick(['!', '#', '.', '*', '$'])}`;

  const customers: Value[][] = [];
  const nCustomers = opts.customers ?? 200;
  for (let i = 1; i <= nCustomers; i++) {
    const f = pick(FIRST);
    const l = pick(LAST);
    customers.push([i, f, l, `${f.toLowerCase()}.${l.toLowerCase()}${int(1, 99)}@${pick(MAIL)}`, `+34 6${int(10, 99)} ${int(100, 999)} ${int(100, 999)}`, pick(CITIES), date(1500)]);
  }
  const orders: Value[][] = [];
  const nOrders = opts.orders ?? 600;
  for (let i = 1; i <= nOrders; i++) {
    orders.push([1000 + i, int(1, nCustomers), date(900), pick(STATUSES), (int(499, 89_999) / 100).toFixed(2)]);
  }
  const users: Value[][] = [];
  for (let i = 1; i <= 40; i++) {
    const f = pick(FIRST);
    const l = pick(LAST);
    const username = `${f[0]!.toLowerCase()}${l.toLowerCase()}${i % 3 === 0 ? int(1, 99) : ''}`;
    const hash = createHash('md5').update(password()).digest('hex');
    users.push([i, username, `${username}@${pick(MAIL)}`, hash, pick(ROLES), date(120)]);
  }

  const honeytokens: Honeytoken[] = [];
  const where = `mysql:${app}.admins`;
  const admins: Value[][] = [];
  const adminNames = new Set<string>();
  for (let i = 1; adminNames.size < 5; i++) {
    const f = pick(FIRST);
    const l = pick(LAST);
    const username = adminNames.size === 0 ? 'admin' : `${f.toLowerCase()}.${l.toLowerCase()}`;
    if (adminNames.has(username)) continue;
    adminNames.add(username);
    const pw = password();
    admins.push([adminNames.size, username, pw, `${username === 'admin' ? 'it' : username}@${company}.com`, date(700)]);
    // The first admin ("admin") is a shared account; the named staff accounts are the tokens an
    // attacker would try elsewhere ("jumping"), so the auth policy accepts them everywhere.
    honeytokens.push({ id: tokenId('ssh', `${username}:${pw}`, where), kind: 'ssh', username, secret: pw, locations: [where], accepted: username !== 'admin' });
  }

  const appUser = `${app}_app`;
  const appPassword = password();
  const appHash = mysqlNativeHash(appPassword);
  honeytokens.push({ id: tokenId('mysql', `${appUser}:${appPassword}`, 'mysql:mysql.user'), kind: 'mysql', username: appUser, secret: appPassword, locations: ['mysql:mysql.user'], accepted: true });

  const appDb: Database = {
    name: app,
    tables: new Map([
      [
        'customers',
        table('customers', [idCol(), col('first_name', 'text', 'varchar(64)'), col('last_name', 'text', 'varchar(64)'), col('email', 'text', 'varchar(255)', { key: 'UNI' }), col('phone', 'text', 'varchar(32)'), col('city', 'text', 'varchar(64)'), col('created_at', 'datetime', 'datetime')], customers),
      ],
      [
        'orders',
        table('orders', [idCol(), col('customer_id', 'int', 'int(11)', { key: 'MUL' }), col('order_date', 'datetime', 'datetime'), col('status', 'text', "enum('pending','paid','shipped','delivered','cancelled','refunded')"), col('total', 'decimal', 'decimal(10,2)')], orders),
      ],
      [
        'users',
        table('users', [idCol(), col('username', 'text', 'varchar(64)', { key: 'UNI' }), col('email', 'text', 'varchar(255)'), col('password', 'text', 'varchar(255)'), col('role', 'text', 'varchar(32)'), col('last_login', 'datetime', 'datetime')], users),
      ],
      [
        'admins',
        table('admins', [idCol(), col('username', 'text', 'varchar(64)', { key: 'UNI' }), col('password', 'text', 'varchar(255)'), col('email', 'text', 'varchar(255)'), col('created_at', 'datetime', 'datetime')], admins),
      ],
    ]),
  };
  const rootHash = mysqlNativeHash(Array.from({ length: 16 }, () => String.fromCharCode(int(0x21, 0x7e))).join(''));
  const mysqlDb: Database = {
    name: 'mysql',
    tables: new Map([
      [
        'user',
        table(
          'user',
          [col('Host', 'text', 'char(255)', { key: 'PRI', nullable: false }), col('User', 'text', 'char(32)', { key: 'PRI', nullable: false }), col('plugin', 'text', 'char(64)'), col('authentication_string', 'text', 'text')],
          [
            ['localhost', 'root', 'mysql_native_password', rootHash],
            // Root may log in from anywhere, as CURRENT_USER() and SHOW GRANTS say (root@%).
            ['%', 'root', 'mysql_native_password', rootHash],
            ['%', appUser, 'mysql_native_password', appHash],
            ['localhost', 'mysql.sys', 'mysql_native_password', '*THISISNOTAVALIDPASSWORDTHATCANBEUSEDHERE'],
            ['localhost', 'backup', 'mysql_native_password', mysqlNativeHash(password())],
          ],
        ),
      ],
      ['db', table('db', [col('Host', 'text', 'char(255)'), col('Db', 'text', 'char(64)'), col('User', 'text', 'char(32)')], [['%', app, appUser]])],
    ]),
  };
  const databases = new Map<string, Database>([
    ['information_schema', { name: 'information_schema', tables: new Map() }],
    [app, appDb],
    ['mysql', mysqlDb],
    ['performance_schema', { name: 'performance_schema', tables: new Map() }],
    ['sys', { name: 'sys', tables: new Map() }],
  ]);
  return { appDatabase: app, databases, honeytokens };
}

function table(name: string, columns: TableColumn[], rows: Value[][]): Table {
  const maxId = rows.reduce((m, r) => (typeof r[0] === 'number' && r[0] > m ? r[0] : m), 0);
  return { name, columns, rows, autoIncrement: maxId + 1 };
}

/** A copy whose tables can be changed without touching ORIGINAL (rows are copied on write by the engine). */
export function cloneDatabases(original: ReadonlyMap<string, Database>): Map<string, Database> {
  const out = new Map<string, Database>();
  for (const [k, db] of original) {
    const tables = new Map<string, Table>();
    for (const [tk, t] of db.tables) tables.set(tk, { name: t.name, columns: t.columns.slice(), rows: t.rows.slice(), autoIncrement: t.autoIncrement });
    out.set(k, { name: db.name, tables });
  }
  return out;
}

