// The registry of emulated commands: every CommandDef, by each of its names.
import type { CommandDef } from '../types.js';
import { apt } from './apt.js';
import { awk } from './awk.js';
import { base64 } from './base64.js';
import { busybox } from './busybox.js';
import { cat } from './cat.js';
import { chattr } from './chattr.js';
import { chmod } from './chmod.js';
import { chown } from './chown.js';
import { clear } from './clear.js';
import { cp } from './cp.js';
import { crontab } from './crontab.js';
import { curl } from './curl.js';
import { date } from './date.js';
import { dd } from './dd.js';
import { df } from './df.js';
import { echo } from './echo.js';
import { enable, help } from './enable.js';
import { env } from './env.js';
import { find } from './find.js';
import { free } from './free.js';
import { ftpget } from './ftpget.js';
import { gcc } from './gcc.js';
import { grep } from './grep.js';
import { head } from './head.js';
import { history } from './history.js';
import { hostname } from './hostname.js';
import { groups, id, whoami } from './id.js';
import { ifconfig } from './ifconfig.js';
import { ip } from './ip.js';
import { kill, pkill } from './kill.js';
import { ln } from './ln.js';
import { ls } from './ls.js';
import { lscpu } from './lscpu.js';
import { md5sum } from './md5sum.js';
import { mkdir, rmdir } from './mkdir.js';
import { mount } from './mount.js';
import { mv } from './mv.js';
import { netstat, ss } from './netstat.js';
import { nohup } from './nohup.js';
import { nproc } from './nproc.js';
import { chpasswd, passwd, useradd } from './passwd.js';
import { perl, python3 } from './perl.js';
import { printf } from './printf.js';
import { ps } from './ps.js';
import { pwd } from './pwd.js';
import { rm } from './rm.js';
import { sed } from './sed.js';
import { sh } from './sh.js';
import { sleep } from './sleep.js';
import { nc, ping, reboot, scpOut, ssh } from './ssh.js';
import { su } from './su.js';
import { sudo } from './sudo.js';
import { systemctl } from './systemctl.js';
import { tail } from './tail.js';
import { tar } from './tar.js';
import { test } from './test.js';
import { basename, cut, dirname, seq, sort, tee, tr, uniq, yes } from './text-tools.js';
import { tftp } from './tftp.js';
import { top } from './top.js';
import { touch } from './touch.js';
import { falseCmd, trueCmd } from './true.js';
import { uname } from './uname.js';
import { uptime } from './uptime.js';
import { last, users, w, who } from './who.js';
import { wc } from './wc.js';
import { wget } from './wget.js';
import { which } from './which.js';

export const ALL_COMMANDS: readonly CommandDef[] = [
  apt, awk, base64, basename, busybox, cat, chattr, chmod, chown, chpasswd, clear, cp, crontab, curl, cut, date, dd, df, dirname, echo, enable, env, falseCmd, find, free, ftpget, gcc, grep, groups, head, help, history, hostname, id, ifconfig, ip, kill, last, ln, ls, lscpu, md5sum, mkdir, mount, mv, nc, netstat, nohup, nproc, passwd, perl, ping, pkill, printf, ps, pwd, python3, reboot, rm, rmdir, scpOut, sed, seq, sh, sleep, sort, ss, ssh, su, sudo, systemctl, tail, tar, tee, test, tftp, top, touch, tr, trueCmd, uname, uniq, uptime, useradd, users, w, wc, wget, which, who, whoami, yes,
];

export function commandRegistry(): Map<string, CommandDef> {
  const map = new Map<string, CommandDef>();
  for (const c of ALL_COMMANDS) for (const n of c.names) map.set(n, c);
  return map;
}
