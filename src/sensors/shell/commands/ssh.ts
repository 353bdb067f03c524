// ssh, scp (outbound), ping, nc: the server cannot reach the outside, so these fail the way they do
// behind a filtering firewall: names do not resolve, addresses time out. No fake answers (Cowrie's
// ping replies with made-up hashed addresses, a known tell).
import type { CommandDef } from '../types.js';
import { isAddress } from './net-common.js';

const TIMEOUT_MS = 3000;

export const ssh: CommandDef = {
  names: ['ssh'],
  async run(ctx) {
    if (ctx.args.includes('-V')) {
      ctx.err(`${ctx.sh.profile.sshVersion}, ${ctx.sh.profile.opensslVersion}\n`);
      return 0;
    }
    const dest = ctx.args.filter((a, i) => !a.startsWith('-') && !['-p', '-i', '-o', '-l', '-F', '-L', '-R', '-D'].includes(ctx.args[i - 1] ?? ''))[0];
    if (!dest) {
      ctx.err('usage: ssh [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface] [-b bind_address]\n           [-c cipher_spec] [-D [bind_address:]port] [-E log_file]\n           [-e escape_char] [-F configfile] [-I pkcs11] [-i identity_file]\n           [-J destination] [-L address] [-l login_name] [-m mac_spec]\n           [-O ctl_cmd] [-o option] [-P tag] [-p port] [-Q query_option]\n           [-R address] [-S ctl_path] [-W host:port] [-w local_tun[:remote_tun]]\n           destination [command [argument ...]]\n');
      return 255;
    }
    const host = dest.replace(/^.*@/, '');
    const pi = ctx.args.indexOf('-p');
    const port = pi >= 0 ? ctx.args[pi + 1] : '22';
    await ctx.sh.sleep(TIMEOUT_MS);
    ctx.err(isAddress(host) ? `ssh: connect to host ${host} port ${port}: Connection timed out\n` : `ssh: Could not resolve hostname ${host}: Temporary failure in name resolution\n`);
    return 255;
  },
};

export const scpOut: CommandDef = {
  names: ['scp'],
  async run(ctx) {
    const remote = ctx.args.find((a) => /^[^/]*:/.test(a) && !a.startsWith('-'));
    if (!remote) {
      ctx.err('usage: scp [-346ABCOpqRrsTv] [-c cipher] [-D sftp_server_path] [-F ssh_config]\n           [-i identity_file] [-J destination] [-l limit] [-o ssh_option]\n           [-P port] [-S program] [-X sftp_option] source ... target\n');
      return 1;
    }
    const host = remote.split(':')[0]!.replace(/^.*@/, '');
    await ctx.sh.sleep(TIMEOUT_MS);
    ctx.err(isAddress(host) ? `ssh: connect to host ${host} port 22: Connection timed out\nscp: Connection closed\n` : `ssh: Could not resolve hostname ${host}: Temporary failure in name resolution\nscp: Connection closed\n`);
    return 255;
  },
};

export const ping: CommandDef = {
  names: ['ping', 'ping6'],
  async run(ctx) {
    const ci = ctx.args.indexOf('-c');
    const count = Math.min(10, ci >= 0 ? Number(ctx.args[ci + 1]) || 1 : 4);
    const host = ctx.args.filter((a, i) => !a.startsWith('-') && !['-c', '-i', '-W', '-w', '-s', '-t', '-I'].includes(ctx.args[i - 1] ?? ''))[0];
    if (!host) {
      ctx.err('ping: usage error: Destination address required\n');
      return 1;
    }
    if (!isAddress(host)) {
      await ctx.sh.sleep(1200);
      ctx.err(`ping: ${host}: Temporary failure in name resolution\n`);
      return 2;
    }
    if (host.startsWith('127.')) {
      ctx.out(`PING ${host} (${host}) 56(84) bytes of data.\n`);
      for (let i = 1; i <= count && !ctx.sh.interrupted; i++) {
        ctx.out(`64 bytes from ${host}: icmp_seq=${i} ttl=64 time=0.0${30 + ((i * 7) % 40)} ms\n`);
        if (i < count) await ctx.sh.sleep(1000);
      }
      ctx.out(`\n--- ${host} ping statistics ---\n${count} packets transmitted, ${count} received, 0% packet loss, time ${(count - 1) * 1000 + 3}ms\nrtt min/avg/max/mdev = 0.031/0.045/0.069/0.012 ms\n`);
      return 0;
    }
    ctx.out(`PING ${host} (${host}) 56(84) bytes of data.\n`);
    await ctx.sh.sleep(count * 1000 + 1000);
    ctx.out(`\n--- ${host} ping statistics ---\n${count} packets transmitted, 0 received, 100% packet loss, time ${(count - 1) * 1000 + 27}ms\n\n`);
    return 1;
  },
};

export const nc: CommandDef = {
  names: ['nc', 'netcat', 'ncat'],
  async run(ctx) {
    const pos = ctx.args.filter((a, i) => !a.startsWith('-') && !['-p', '-w', '-s', '-e', '-c'].includes(ctx.args[i - 1] ?? ''));
    if (ctx.args.some((a) => /^-[a-z]*l/.test(a))) {
      await ctx.sh.sleep(30_000);
      return 0;
    }
    const [host, port] = pos;
    if (!host || !port) {
      ctx.err('usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n\t  [destination] [port]\n');
      return 1;
    }
    await ctx.sh.sleep(TIMEOUT_MS);
    if (!isAddress(host)) ctx.err(`nc: getaddrinfo for host "${host}" port ${port}: Temporary failure in name resolution\n`);
    else if (ctx.args.some((a) => /^-[a-z]*v/.test(a))) ctx.err(`nc: connect to ${host} port ${port} (tcp) failed: Connection timed out\n`);
    return 1;
  },
};

export const reboot: CommandDef = {
  names: ['reboot', 'shutdown', 'halt', 'poweroff', 'init'],
  run(ctx) {
    if (ctx.sh.user.uid !== 0) {
      ctx.err('Failed to set wall message, ignoring: Interactive authentication required.\nCall to Reboot failed: Interactive authentication required.\n');
      return 1;
    }
    if (ctx.name === 'shutdown' && !ctx.args.includes('now') && !ctx.args.includes('-r')) {
      ctx.out(`Shutdown scheduled for ${new Date(ctx.sh.now() + 60_000).toUTCString().replace('GMT', 'UTC')}, use 'shutdown -c' to cancel.\n`);
      return 0;
    }
    ctx.sh.requestExit(0);
    return 0;
  },
};
