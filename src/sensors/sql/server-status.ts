// A decoy database server's uptime and the counters that grow with it (SHOW GLOBAL STATUS, the
// mysql client's `status` line), from when the server started: the host's boot time, so that the
// fake shell's uptime and the database's agree.
import { secondsSince } from '../runtime/host.js';

/** Uptime shown when the server was given no start time (about 20 days). */
export const DEFAULT_UPTIME_S = 1_728_423;

/** Seconds the server has been up at NOW. */
export function serverUptimeS(startedMs: number | undefined, now: Date): number {
  return startedMs === undefined ? DEFAULT_UPTIME_S : secondsSince(startedMs, now.getTime());
}

/**
 * A busy little server's counters after UPTIME_S seconds (about one question a second), and the
 * connection's TLS cipher and version (empty on a plain connection, as mysqld shows them).
 */
export function mysqlStatus(uptimeS: number, tls?: { cipher: string; version: string }): Record<string, string> {
  const questions = Math.round(uptimeS * 1.0894);
  return {
    Aborted_connects: String(Math.round(uptimeS * 0.00083)),
    Bytes_received: String(Math.round(uptimeS * 47)),
    Connections: String(Math.round(uptimeS * 0.01266)),
    Queries: String(questions + Math.round(uptimeS * 0.00015)),
    Questions: String(questions),
    Ssl_cipher: tls?.cipher ?? '',
    Ssl_version: tls?.version ?? '',
    Threads_connected: '3',
    Threads_running: '1',
    Uptime: String(uptimeS),
  };
}

/** COM_STATISTICS's answer (what the mysql client's `status` and `mysqladmin status` print), as mysqld formats it. */
export function mysqlStatistics(uptimeS: number): string {
  const s = mysqlStatus(uptimeS);
  const qps = Number(s.Questions) / uptimeS;
  return `Uptime: ${uptimeS}  Threads: ${s.Threads_connected}  Questions: ${s.Questions}  Slow queries: 0  Opens: 1123  Flush tables: 3  Open tables: 512  Queries per second avg: ${qps.toFixed(3)}`;
}
