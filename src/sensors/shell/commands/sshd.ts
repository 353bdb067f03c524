// sshd: the daemon binary run by hand. -V gives the version as OpenSSH's sshd prints it (the short
// SSH_VERSION, without the portable and Debian suffixes the banner carries); a second daemon cannot
// bind the port the first holds.
import type { CommandDef } from '../types.js';

/** Options that take an argument (sshd's getopt string "C:E:b:c:f:g:h:k:o:p:u:46DQRTdeiqrtV"). */
const WITH_VALUE = new Set('CEbcfghkopu'.split(''));
const USAGE = 'usage: sshd [-46DdeiqTtV] [-C connection_spec] [-c host_cert_file]\n            [-E log_file] [-f config_file] [-g login_grace_time]\n            [-h host_key_file] [-o option] [-p port] [-u len]\n';

export const sshd: CommandDef = {
  names: ['sshd'],
  run(ctx) {
    const p = ctx.sh.profile;
    const release = `${p.sshVersion}, ${p.opensslVersion}`;
    let test = false;
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i]!;
      if (!a.startsWith('-') || a === '-') break;
      for (let j = 1; j < a.length; j++) {
        const o = a[j]!;
        if (o === 'V') {
          ctx.err(`${p.sshVersion.replace(/^(OpenSSH_\d+\.\d+).*$/, '$1')}, ${p.opensslVersion}\n`);
          return 0;
        }
        if (o === 't' || o === 'T') test = true;
        if (WITH_VALUE.has(o)) {
          if (j === a.length - 1 && ++i >= ctx.args.length) {
            ctx.err(`option requires an argument -- ${o}\n${release}\n${USAGE}`);
            return 1;
          }
          break;
        }
        if (!'46DQRTdeiqrt'.includes(o)) {
          ctx.err(`unknown option -- ${o}\n${release}\n${USAGE}`);
          return 1;
        }
      }
    }
    if (test) return 0;
    if (!ctx.name.startsWith('/')) {
      ctx.err('sshd re-exec requires execution with an absolute path\n');
      return 255;
    }
    const sockets = p.daemons.find((d) => d.kind === 'sshd')?.sockets ?? [{ address: '0.0.0.0', port: 22 }];
    ctx.err(`${sockets.map((s) => `Bind to port ${s.port} on ${s.address} failed: Address already in use.\n`).join('')}Cannot bind any address.\n`);
    return 255;
  },
};
