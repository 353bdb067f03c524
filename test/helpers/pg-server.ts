// A throwaway PostgreSQL server per test file: initdb into a temporary directory as the `postgres`
// user, listen on 127.0.0.1 at a free port, stopped (by its PID) and removed at the end. Needs
// Debian's `postgresql` package (scripts/test-tools.mjs installs it); no cluster of the machine is used.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './honeynet.js';

/** The newest installed server's bin directory (/usr/lib/postgresql/N/bin). */
export function pgBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql; run "node scripts/test-tools.mjs" (installs Debian package postgresql)');
  return join(root, versions[0]!, 'bin');
}

/** One query on a new connection to URL (tests read what the collector stored). */
export async function pgQuery<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

export interface PgServer {
  port: number;
  dataDir: string;
  /** The directory of its Unix socket: reachable from any network namespace. */
  socketDir: string;
  /** postgres://postgres@127.0.0.1:PORT/DB */
  url(db?: string): string;
  /** Creates a database and returns its URL. */
  createDatabase(name: string): string;
  /** The postmaster's PID while it runs (its backends are its children). */
  pid(): number | undefined;
  /** Stops the server (fast shutdown); start() brings it back on the same port and data. */
  stop(): void;
  start(): void;
  /** Stops it and removes its files. */
  destroy(): void;
}

export interface PgServerOptions {
  /** fsync off makes tests quicker; the bench keeps it on. Default false (durable). */
  fast?: boolean;
  /** Run the server inside this network namespace, listening on HOST there. */
  netns?: string;
  host?: string;
}

export async function startPgServer(opts: PgServerOptions = {}): Promise<PgServer> {
  const bin = pgBinDir();
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  const root = mkdtempSync(join(tmpdir(), 'apiary-pg-'));
  chownSync(root, uid, gid);
  const dataDir = join(root, 'data');
  const asPg = { uid, gid, cwd: root, stdio: 'pipe' as const };
  const init = spawnSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'], asPg);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr?.toString()}`);
  const port = await freePort();
  const host = opts.host ?? '127.0.0.1';
  const settings = [
    `-c listen_addresses=${host}`,
    `-p ${port}`,
    `-c unix_socket_directories=${root}`,
    '-c max_connections=60',
    '-c shared_buffers=64MB',
    ...(opts.fast ? ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'] : []),
  ].join(' ');
  const pidFile = join(dataDir, 'postmaster.pid');
  const start = (): void => {
    const ctl = [join(bin, 'pg_ctl'), '-D', dataDir, '-o', settings, '-l', join(root, 'log'), '-w', '-t', '30', 'start'];
    // Entering a namespace needs root; the server itself then runs as postgres.
    const r = opts.netns
      ? spawnSync('ip', ['netns', 'exec', opts.netns, 'runuser', '-u', 'postgres', '--', ...ctl], { cwd: root, stdio: 'pipe' })
      : spawnSync(ctl[0]!, ctl.slice(1), asPg);
    if (r.status !== 0) throw new Error(`pg_ctl start failed: ${r.stderr?.toString()} ${existsSync(join(root, 'log')) ? readFileSync(join(root, 'log'), 'utf8') : ''}`);
  };
  const pid = (): number | undefined => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : undefined);
  const stop = (): void => {
    const p = pid();
    if (p === undefined) return;
    // SIGINT is PostgreSQL's fast shutdown; wait for the postmaster to be gone.
    try {
      process.kill(p, 'SIGINT');
    } catch {
      return;
    }
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      try {
        process.kill(p, 0);
      } catch {
        return;
      }
      spawnSync('sleep', ['0.05']);
    }
    process.kill(p, 'SIGKILL');
  };
  start();
  let destroyed = false;
  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    stop();
    rmSync(root, { recursive: true, force: true });
  };
  // A test file that fails half-way still stops its server.
  process.once('exit', destroy);
  const url = (db = 'postgres'): string => `postgres://postgres@${host}:${port}/${db}`;
  return {
    port,
    dataDir,
    socketDir: root,
    url,
    createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const r = spawnSync(join(bin, 'createdb'), ['-h', root, '-p', String(port), '-U', 'postgres', name], asPg);
      if (r.status !== 0) throw new Error(`createdb failed: ${r.stderr?.toString()}`);
      return url(name);
    },
    pid,
    stop,
    start,
    destroy,
  };
}
