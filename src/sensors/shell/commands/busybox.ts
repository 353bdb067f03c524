// busybox: the multi-call binary. Known applets run the emulated command; others answer
// "applet not found" (the check IoT bots make with /bin/busybox RANDOMNAME).
import type { CommandDef } from '../types.js';

/** Applets this BusyBox build has (Debian's busybox package, trimmed to what the shell emulates). */
export const BUSYBOX_APPLETS = ['ash', 'base64', 'basename', 'cat', 'chmod', 'chown', 'cp', 'cut', 'date', 'dd', 'df', 'dirname', 'echo', 'egrep', 'env', 'false', 'fgrep', 'find', 'free', 'ftpget', 'grep', 'head', 'hostname', 'id', 'ifconfig', 'ip', 'kill', 'killall', 'ln', 'ls', 'md5sum', 'mkdir', 'mount', 'mv', 'netstat', 'nohup', 'nproc', 'ping', 'ps', 'pwd', 'rm', 'rmdir', 'sed', 'seq', 'sh', 'sha256sum', 'sleep', 'sort', 'tail', 'tar', 'tee', 'tftp', 'top', 'touch', 'tr', 'true', 'uname', 'uniq', 'uptime', 'wc', 'wget', 'which', 'whoami', 'yes'];

export const busybox: CommandDef = {
  names: ['busybox'],
  async run(ctx) {
    const [applet, ...rest] = ctx.args;
    if (applet === undefined || applet === '--help') {
      ctx.out(`BusyBox v1.35.0 (Debian 1:1.35.0-4+b3) multi-call binary.\nBusyBox is copyrighted by many authors between 1998-2015.\nLicensed under GPLv2. See source distribution for detailed\ncopyright notices.\n\nUsage: busybox [function [arguments]...]\n   or: busybox --list[-full]\n   or: busybox --show SCRIPT\n   or: busybox --install [-s] [DIR]\n   or: function [arguments]...\n\n\tBusyBox is a multi-call binary that combines many common Unix\n\tutilities into a single executable.  Most people will create a\n\tlink to busybox for each function they wish to use and BusyBox\n\twill act like whatever it was invoked as.\n\nCurrently defined functions:\n\t${BUSYBOX_APPLETS.join(', ')}\n`);
      return applet === undefined ? 0 : 0;
    }
    if (applet === '--list') {
      ctx.out(BUSYBOX_APPLETS.map((a) => `${a}\n`).join(''));
      return 0;
    }
    if (!BUSYBOX_APPLETS.includes(applet)) {
      ctx.err(`${applet}: applet not found\n`);
      return 127;
    }
    const quoted = [applet === 'ash' ? 'sh' : applet, ...rest].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    return ctx.sh.runScript(quoted, { name: 'busybox', args: [], stdin: ctx.stdin, out: ctx.out, err: ctx.err, subshell: false });
  },
};
