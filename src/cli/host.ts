// The host the sensors of one Apiary share, described from the config: its boot time (kept in
// data_dir) and the Linux daemons that would serve the enabled services, on the ports seen from outside.
import { join } from 'node:path';
import { parseListenAddress, type Config, type ListenAddress } from '../config/schema.js';
import { daemonStartMs, loadOrCreateBootTime, type DaemonKind, type HostDaemon, type HostDescription, type HostSocket, type HostWeb } from '../sensors/runtime/host.js';

/**
 * The port a client reaches a service on. The config has no key for it, so: a listen port below
 * 1024 or the service's own is public as it is; a high one (2222, 8080, a test's 0) is taken to sit
 * behind a firewall redirect from the service's conventional port, as the README's deployment has it.
 */
export function publicPort(listenPort: number, conventional: number): number {
  return listenPort > 0 && (listenPort < 1024 || listenPort === conventional) ? listenPort : conventional;
}

function sockets(listen: readonly string[], proto: HostSocket['proto'], conventional: number): HostSocket[] {
  const out = new Map<string, HostSocket>();
  for (const a of listen) {
    const l = parseListenAddress(a) as ListenAddress;
    const s = { proto, address: l.host, port: publicPort(l.port, conventional) };
    out.set(`${s.proto} ${s.address} ${s.port}`, s);
  }
  return [...out.values()];
}

/** Describes the host of CONFIG at NOW: boot time from data_dir/host.json, one daemon per enabled Linux service. */
export async function describeHost(config: Config, now = Date.now()): Promise<HostDescription> {
  const bootMs = loadOrCreateBootTime(join(config.data_dir, 'host.json'), now);
  const daemons: HostDaemon[] = [];
  let web: HostWeb | undefined;
  const add = (kind: DaemonKind, socks: HostSocket[], version?: string): void => {
    if (socks.length > 0) daemons.push({ kind, startMs: daemonStartMs(bootMs, kind), sockets: socks, ...(version ? { version } : {}) });
  };
  const s = config.services;
  if (s.ssh?.enabled) add('sshd', sockets(s.ssh.listen, 'tcp', 22));
  // Debian's telnetd runs from inetd.
  if (s.telnet?.enabled) add('inetd', sockets(s.telnet.listen, 'tcp', 23));
  if (s.http?.enabled) {
    const { makeSite } = await import('../sensors/http/sites.js');
    const site = makeSite(s.http.site);
    const product = site.product.name;
    add(product === 'apache' ? 'apache2' : product, [...sockets(s.http.listen, 'tcp', 80), ...sockets(s.http.tls_listen, 'tcp', 443)]);
    const index = site.page('/', { host: 'localhost', authed: false, query: new URLSearchParams() });
    web = {
      ...(index?.status === 200 && index.file ? { index: { html: String(index.body), mtimeMs: index.file.getTime() } } : {}),
      errorPage: (status, host, port) => site.product.errorPage(status, { method: 'GET', host, port }),
    };
  }
  if (s.ftp?.enabled) add('vsftpd', sockets(s.ftp.listen, 'tcp', 21));
  if (s.tftp?.enabled) add('tftpd', sockets(s.tftp.listen, 'udp', 69));
  // A PBX that names another product than Asterisk (or FreePBX on it) has no process we could show.
  if (s.sip?.enabled && /asterisk|fpbx|freepbx/i.test(s.sip.user_agent)) add('asterisk', [...sockets(s.sip.listen, 'udp', 5060), ...sockets(s.sip.listen, 'tcp', 5060)]);
  if (s.mysql?.enabled) add(/mariadb/i.test(`${s.mysql.version} ${s.mysql.version_comment ?? ''}`) ? 'mariadbd' : 'mysqld', sockets(s.mysql.listen, 'tcp', 3306), s.mysql.version);
  return { bootMs, daemons, ...(web ? { web } : {}) };
}
