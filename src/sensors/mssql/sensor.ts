// The MSSQL sensor: Apiary's listener accepts, an MssqlSession per connection speaks TDS, the decoy
// engine answers batches; the SQL Server Browser on UDP announces the instance.
import { parseListenAddress, type ListenAddress, type MssqlServiceConfig } from '../../config/schema.js';
import type { AuthPolicy } from '../runtime/auth-policy.js';
import { startTcpService, tcpServiceOptions, type TcpServiceDeps, type RunningService } from '../runtime/listener.js';
import type { UdpLimits } from '../runtime/sensor-deps.js';
import type { Database } from '../sql/decoy-data.js';
import type { DecoyState } from '../sql/decoy-state.js';
import type { DataView } from '../sql/engine.js';
import { fetchAndRecord, type Capture } from '../runtime/capture.js';
import { fromQuarantine } from '../sql/payload-store.js';
import { startSqlBrowser } from './browser.js';
import { attachByteSession } from '../sql/socket-glue.js';
import { MssqlSession } from './session.js';
import { parseServerVersion } from './tds-codec.js';

export interface MssqlSensorDeps extends TcpServiceDeps, UdpLimits {
  policy: AuthPolicy;
  decoy: DecoyState;
  /** The shared quarantine and fetch policy. */
  capture: Capture;
  /** When the SQL Server service started (ms since the epoch), shortly after the host booted. */
  startedMs?: number;
  /** The Windows host's name (SMB's NetBIOS name, per install), when the config names none. */
  hostName?: string;
}

/** The server's name when neither the config nor the host gives one. */
export const DEFAULT_SERVER_NAME = 'SQLPROD01';

const SYSTEM_DATABASES = ['master', 'tempdb', 'model', 'msdb'];

/** The decoy as SQL Server shows it: the generated databases plus the system ones every server has. */
export function withSystemDatabases(view: DataView): DataView {
  let lastSource: ReadonlyMap<string, Database> | undefined;
  let lastView: Map<string, Database> | undefined;
  const add = (m: Map<string, Database>): Map<string, Database> => {
    for (const n of SYSTEM_DATABASES) if (!m.has(n)) m.set(n, { name: n, tables: new Map() });
    return m;
  };
  return {
    read() {
      const src = view.read();
      if (src !== lastSource || !lastView) {
        lastSource = src;
        lastView = add(new Map(src));
      }
      return lastView;
    },
    write() {
      lastSource = undefined;
      return add(view.write());
    },
    ...(view.charge ? { charge: view.charge } : {}),
  };
}

/** @@VERSION and SERVERPROPERTY values, shaped by the configured version. */
export function mssqlVariables(cfg: MssqlServiceConfig, serverName: string = cfg.server_name ?? DEFAULT_SERVER_NAME): Record<string, string> {
  const v = parseServerVersion(cfg.version);
  // A named instance is SERVER\INSTANCE; the default one is the server's name alone.
  const qualified = cfg.instance === 'MSSQLSERVER' ? serverName : `${serverName}\\${cfg.instance}`;
  return {
    version: cfg.version_string ?? `Microsoft SQL Server 2019 (RTM-CU22) (KB5027702) - ${cfg.version} (X64) \n\tJul 27 2023 18:11:00 \n\tCopyright (C) 2019 Microsoft Corporation\n\tStandard Edition (64-bit) on Windows Server 2019 Standard 10.0 <X64> (Build 17763: ) (Hypervisor)\n`,
    servername: qualified,
    servicename: cfg.instance,
    language: 'us_english',
    spid: '57',
    trancount: '0',
    rowcount: '0',
    error: '0',
    max_connections: '32767',
    microsoftversion: String((v.major << 24) | (v.minor << 16) | v.build),
    'serverproperty.productversion': cfg.version,
    'serverproperty.productlevel': 'RTM',
    'serverproperty.edition': 'Standard Edition (64-bit)',
    'serverproperty.engineedition': '2',
    'serverproperty.machinename': serverName,
    'serverproperty.servername': qualified,
    'serverproperty.instancename': cfg.instance === 'MSSQLSERVER' ? '' : cfg.instance,
    'serverproperty.isclustered': '0',
    'serverproperty.isintegratedsecurityonly': '0',
    'serverproperty.collation': 'SQL_Latin1_General_CP1_CI_AS',
  };
}

export async function startMssqlSensor(cfg: MssqlServiceConfig, deps: MssqlSensorDeps): Promise<RunningService[]> {
  const version = parseServerVersion(cfg.version);
  const serverName = cfg.server_name ?? deps.hostName ?? DEFAULT_SERVER_NAME;
  const variables = mssqlVariables(cfg, serverName);
  let spid = 51 + Math.floor(Math.random() * 20);
  const tcp = await startTcpService({
    ...tcpServiceOptions('mssql', cfg, deps),
    onConnection(ctx) {
      const src = ctx.emitter.identity.src_ip;
      spid = spid >= 32_000 ? 51 : spid + 1;
      const id = spid;
      attachByteSession(ctx, 'mssql', cfg.login_timeout_s * 1000, (io) =>
        new MssqlSession({
          emitter: ctx.emitter,
          policy: deps.policy,
          version,
          serverName,
          domain: cfg.domain,
          clientHost: src,
          spid: id,
          variables: { ...variables, spid: String(id) },
          view: withSystemDatabases(deps.decoy.viewFor(src)),
          payloads: fromQuarantine(deps.capture.quarantine, src),
          fetchUrls: (urls) => void fetchAndRecord(deps.capture, ctx.emitter, urls, src),
          failureDelayMs: cfg.failure_delay_ms,
          ...(deps.startedMs !== undefined ? { startedMs: deps.startedMs } : {}),
          ...io,
        }),
      );
    },
  });
  const services: RunningService[] = [tcp];
  if (cfg.browser.enabled) {
    try {
      services.push(
        await startSqlBrowser(
          cfg.browser.listen.map((a) => parseListenAddress(a) as ListenAddress),
          {
            sensor: deps.sensor,
            sink: deps.sink,
            log: deps.log.child({ service: 'mssql-browser' }),
            perSourcePerSecond: deps.perSourcePerSecond,
            maxFlows: deps.maxFlows,
            instances: () => [{ serverName, instanceName: cfg.instance, version: cfg.version, tcpPort: tcp.bound[0]?.port ?? 1433 }],
          },
        ),
      );
    } catch (err) {
      await tcp.close();
      throw err;
    }
  }
  return services;
}
