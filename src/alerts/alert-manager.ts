// Decides which incidents are alerted (a new internal source; anything at or above the configured
// severity), once per incident (claimed in the store, so restarts do not repeat), within per-source
// and global rate limits, and sends each alert to every configured output.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { severityRank, type IncidentChange } from '../analysis/incidents.js';
import type { AlertsConfig } from '../config/schema.js';
import { CidrSet } from '../enrich/networks.js';
import type { EventStore, IncidentRecord } from '../store/store.js';
import { buildAlert, formatCef, formatRfc5424, type Alert } from './format.js';
import { SyslogSender } from './syslog.js';
import { sendWebhook } from './webhook.js';
import { makeRoom } from '../wire/bounded.js';

/** Sources whose recent alert times are remembered for the per-source limit. */
export const MAX_TRACKED_SOURCES = 10_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Sliding-window counters: per source per hour and overall per minute. */
export class AlertRateLimiter {
  private readonly perSource = new Map<string, number[]>();
  private global: number[] = [];
  constructor(
    private readonly perSourcePerHour: number,
    private readonly globalPerMinute: number,
  ) {}

  /** True (and counted) when SRC may raise one more alert at NOW. */
  take(src: string, now: number): boolean {
    this.global = this.global.filter((t) => now - t < MINUTE_MS);
    const mine = (this.perSource.get(src) ?? []).filter((t) => now - t < HOUR_MS);
    if (this.global.length >= this.globalPerMinute || mine.length >= this.perSourcePerHour) return false;
    this.global.push(now);
    mine.push(now);
    this.perSource.delete(src);
    this.perSource.set(src, mine);
    makeRoom(this.perSource, MAX_TRACKED_SOURCES + 1);
    return true;
  }
}

export function alertReason(inc: IncidentRecord, minSeverity: AlertsConfig['min_severity']): Alert['reason'] | undefined {
  if (inc.scope === 'internal') return 'internal_source';
  if (severityRank(inc.severity) >= severityRank(minSeverity)) return 'severity';
  return undefined;
}

export interface AlertStats {
  sent: number;
  suppressed: number;
  failed: number;
}

export class AlertManager {
  private readonly ignore: CidrSet;
  private readonly limiter: AlertRateLimiter;
  private readonly syslog: SyslogSender | undefined;
  private readonly pending = new Set<Promise<void>>();
  readonly stats: AlertStats = { sent: 0, suppressed: 0, failed: 0 };

  constructor(
    private readonly cfg: AlertsConfig,
    private readonly store: EventStore,
    private readonly log: Logger,
    private readonly opts: { version?: string; now?: () => Date } = {},
  ) {
    this.ignore = new CidrSet(cfg.ignore);
    this.limiter = new AlertRateLimiter(cfg.rate_limit.per_source_per_hour, cfg.rate_limit.global_per_minute);
    this.syslog = cfg.syslog
      ? new SyslogSender(cfg.syslog, (err) => this.log.warn({ err: err.message, output: 'syslog' }, 'syslog alert output failed'))
      : undefined;
  }

  /** Considers the incidents the tracker changed; resolves once their alerts are handed to the outputs. */
  async handle(changes: readonly IncidentChange[]): Promise<void> {
    for (const { incident } of changes) {
      const reason = alertReason(incident, this.cfg.min_severity);
      if (!reason || this.ignore.has(incident.src_ip)) continue;
      const now = this.opts.now?.() ?? new Date();
      // History (an import of old logs) is not alerted; unclaimed, the incident alerts if it goes on now.
      if (this.cfg.max_age_h > 0 && now.getTime() - Date.parse(incident.last_seen) > this.cfg.max_age_h * 3_600_000) continue;
      const at = now.toISOString();
      if (!(await this.store.claimAlert(incident.id, at))) continue;
      if (!this.limiter.take(incident.src_ip, now.getTime())) {
        // Held back, the claim is taken back: the incident alerts when it changes again (it escalates,
        // or the flood is over). Kept, 60 decoy incidents silenced the one that mattered for good.
        await this.store.releaseAlert(incident.id, at);
        this.stats.suppressed++;
        this.log.warn({ incident: incident.id, src: incident.src_ip }, 'alert suppressed by the rate limit; it is raised if the incident changes once the limit allows');
        continue;
      }
      this.dispatch(buildAlert(incident, reason, now));
    }
  }

  private dispatch(alert: Alert): void {
    this.stats.sent++;
    if (this.cfg.log) this.log.warn({ alert }, `ALERT ${alert.summary}`);
    if (this.syslog && this.cfg.syslog) {
      const s = this.cfg.syslog;
      const opts = { facility: s.facility, hostname: hostname() };
      const msg = s.format === 'cef' ? formatRfc5424(alert, opts, formatCef(alert, this.opts.version ?? '0')) : formatRfc5424(alert, opts);
      this.syslog.send(msg);
    }
    const hook = this.cfg.webhook;
    if (hook) {
      const p = sendWebhook(alert, { url: hook.url, timeoutMs: hook.timeout_ms, retries: hook.retries, headers: hook.headers }).then((r) => {
        if (!r.ok) {
          this.stats.failed++;
          this.log.warn({ output: 'webhook', attempts: r.attempts, status: r.status, error: r.error, incident: alert.incident_id }, 'webhook alert failed');
        }
      });
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    }
  }

  /** Waits for webhook deliveries in flight, then closes the syslog socket. */
  async close(): Promise<void> {
    await Promise.all([...this.pending]);
    await this.syslog?.close();
  }
}
