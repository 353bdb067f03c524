// netstat and ss: the listening sockets a small Debian web/db server has, plus the attacker's own SSH connection.
import type { CommandDef, ShellApi } from '../types.js';

function sockets(sh: ShellApi): { proto: string; local: string; remote: string; state: string; prog: string }[] {
  const n = sh.profile.net;
  return [
    { proto: 'tcp', local: '0.0.0.0:22', remote: '0.0.0.0:*', state: 'LISTEN', prog: '612/sshd: /usr/sbin' },
    { proto: 'tcp', local: '127.0.0.1:3306', remote: '0.0.0.0:*', state: 'LISTEN', prog: '701/mariadbd' },
    { proto: 'tcp', local: '0.0.0.0:80', remote: '0.0.0.0:*', state: 'LISTEN', prog: '688/nginx: master' },
    { proto: 'tcp', local: `${n.ipv4}:22`, remote: `${sh.terminal.remoteIp}:${40000 + (sh.terminal.loginMs % 20000)}`, state: 'ESTABLISHED', prog: '2311/sshd: root@pts' },
    { proto: 'tcp6', local: ':::22', remote: ':::*', state: 'LISTEN', prog: '612/sshd: /usr/sbin' },
    { proto: 'tcp6', local: ':::80', remote: ':::*', state: 'LISTEN', prog: '688/nginx: master' },
    { proto: 'udp', local: '127.0.0.1:323', remote: '0.0.0.0:*', state: '', prog: '540/chronyd' },
  ];
}

export const netstat: CommandDef = {
  names: ['netstat'],
  run(ctx) {
    const a = ctx.args.join(' ');
    const listening = /l/.test(a);
    const withProg = /p/.test(a);
    ctx.out(`Active Internet connections (${listening ? 'only servers' : 'servers and established'})\nProto Recv-Q Send-Q Local Address           Foreign Address         State      ${withProg ? ' PID/Program name    ' : ''}\n`);
    for (const s of sockets(ctx.sh)) {
      if (listening && s.state !== 'LISTEN' && s.proto !== 'udp') continue;
      if (/t/.test(a) && !/u/.test(a) && s.proto === 'udp') continue;
      ctx.out(`${s.proto.padEnd(5)}      0      0 ${s.local.padEnd(23)} ${s.remote.padEnd(23)} ${s.state.padEnd(11)}${withProg ? s.prog : ''}\n`);
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
      if (listening && s.state !== 'LISTEN' && s.proto !== 'udp') continue;
      if (!listening && s.state === 'LISTEN') continue;
      const local = s.local.replace(/^:::/, '[::]:');
      const peer = s.remote.replace(/^:::\*/, '[::]:*');
      ctx.out(`${(s.proto.startsWith('udp') ? 'udp' : 'tcp').padEnd(5)} ${(s.state === 'LISTEN' ? 'LISTEN' : s.state === 'ESTABLISHED' ? 'ESTAB' : 'UNCONN').padEnd(6)} 0      ${s.state === 'LISTEN' ? '128' : '0'}    ${local.padStart(18)} ${peer.padStart(18)}${/p/.test(a) ? ` users:(("${s.prog.split('/')[1]?.split(':')[0] ?? ''}",pid=${s.prog.split('/')[0]},fd=3))` : ''}\n`);
    }
    return 0;
  },
};
