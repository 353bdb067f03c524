// netstat and ss: the listening sockets of the host's daemons (the configured services, on the ports
// seen from outside), plus the attacker's own connection.
import type { CommandDef, ShellApi } from '../types.js';
import { DAEMON_COMM, processTable } from './processes.js';

interface Socket {
  proto: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  local: string;
  remote: string;
  state: string;
  /** netstat -p's "PID/Program name". */
  prog: string;
  /** The process name ss shows. */
  comm: string;
  pid: number;
}

/** Where a daemon's socket is bound, as this host sees it: wildcards and loopback as they are, any other address as the host's own. */
function boundAddress(address: string, own: string): string {
  if (address === '0.0.0.0' || address === '::' || address.startsWith('127.') || address === '::1') return address;
  return address.includes(':') ? address : own;
}

/** The listening sockets of the host's daemons, then the attacker's own connection, with the pids ps shows. */
function sockets(sh: ShellApi): Socket[] {
  const n = sh.profile.net;
  const procs = processTable(sh);
  const out: Socket[] = [];
  for (const d of sh.profile.daemons) {
    const proc = procs.find((p) => p.daemon === d.kind);
    const pid = proc?.pid ?? 1;
    const comm = DAEMON_COMM[d.kind];
    // netstat names the program by argv[0]'s base name, cut to its column; sshd and nginx rewrite argv[0] to a title with spaces.
    const cmd = proc?.cmd ?? comm;
    const prog = `${pid}/${/^(?:sshd|nginx):/.test(cmd) ? cmd : cmd.split(' ')[0]!.replace(/^.*\//, '')}`.slice(0, 19);
    for (const s of d.sockets) {
      const addr = boundAddress(s.address, n.ipv4);
      const v6 = addr.includes(':');
      out.push({ proto: `${s.proto}${v6 ? '6' : ''}` as Socket['proto'], local: addr === '::' ? `:::${s.port}` : `${addr}:${s.port}`, remote: v6 ? ':::*' : '0.0.0.0:*', state: s.proto === 'tcp' ? 'LISTEN' : '', prog, comm, pid });
    }
  }
  // The attacker's own connection, to the port they came in on.
  const telnet = sh.terminal.via === 'telnet';
  const server = sh.profile.daemons.find((d) => d.kind === (telnet ? 'inetd' : 'sshd'));
  const login = procs.find((p) => p.role === 'login');
  if (login) {
    const port = server?.sockets[0]?.port ?? (telnet ? 23 : 22);
    const comm = telnet ? 'telnetd' : 'sshd';
    out.push({ proto: 'tcp', local: `${n.ipv4}:${port}`, remote: `${sh.terminal.remoteIp}:${sh.terminal.remotePort ?? 40000 + (sh.terminal.loginMs % 20000)}`, state: 'ESTABLISHED', prog: `${login.pid}/${telnet ? 'telnetd' : login.cmd}`.slice(0, 19), comm, pid: login.pid });
  }
  // netstat and ss list TCP before UDP, IPv4 before IPv6.
  const order = ['tcp', 'tcp6', 'udp', 'udp6'];
  return out.sort((a, b) => order.indexOf(a.proto) - order.indexOf(b.proto));
}

export const netstat: CommandDef = {
  names: ['netstat'],
  run(ctx) {
    const a = ctx.args.join(' ');
    const listening = /l/.test(a);
    const withProg = /p/.test(a);
    ctx.out(`Active Internet connections (${listening ? 'only servers' : 'servers and established'})\nProto Recv-Q Send-Q Local Address           Foreign Address         State      ${withProg ? ' PID/Program name    ' : ''}\n`);
    for (const s of sockets(ctx.sh)) {
      if (listening && s.state !== 'LISTEN' && !s.proto.startsWith('udp')) continue;
      if (/t/.test(a) && !/u/.test(a) && s.proto.startsWith('udp')) continue;
      ctx.out(`${s.proto.padEnd(5)}      0      0 ${s.local.padEnd(23)} ${s.remote.padEnd(23)} ${s.state.padEnd(11)}${withProg ? ` ${s.prog}` : ''}\n`);
    }
    return 0;
  },
};

export const ss: CommandDef = {
  names: ['ss'],
  run(ctx) {
    const a = ctx.args.join(' ');
    const listening = /l/.test(a);
    ctx.out('Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n');
    for (const s of sockets(ctx.sh)) {
      if (listening && s.state !== 'LISTEN' && !s.proto.startsWith('udp')) continue;
      if (!listening && s.state === 'LISTEN') continue;
      const local = s.local.replace(/^:::/, '[::]:');
      const peer = s.remote.replace(/^:::\*/, '[::]:*');
      ctx.out(`${(s.proto.startsWith('udp') ? 'udp' : 'tcp').padEnd(5)} ${(s.state === 'LISTEN' ? 'LISTEN' : s.state === 'ESTABLISHED' ? 'ESTAB' : 'UNCONN').padEnd(6)} 0      ${s.state === 'LISTEN' ? '128' : '0'}    ${local.padStart(18)} ${peer.padStart(18)}${/p/.test(a) ? ` users:(("${s.comm}",pid=${s.pid},fd=3))` : ''}\n`);
    }
    return 0;
  },
};
