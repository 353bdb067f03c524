// ifconfig: the profile's interface and loopback, net-tools style, with counters that grow with uptime.
import type { CommandDef } from '../types.js';
import { uptimeSeconds } from '../profile.js';

function maskOf(prefix: number): string {
  const m = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join('.');
}
function broadcastOf(ip: string, prefix: number): string {
  const n = ip.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const b = (n | (prefix === 32 ? 0 : (1 << (32 - prefix)) - 1)) >>> 0;
  return [24, 16, 8, 0].map((s) => (b >>> s) & 255).join('.');
}
export { maskOf, broadcastOf };

export const ifconfig: CommandDef = {
  names: ['ifconfig'],
  run(ctx) {
    const p = ctx.sh.profile;
    const up = uptimeSeconds(p, ctx.sh.now());
    const n = p.net;
    const rx = n.rxBytes + up * 900;
    const tx = n.txBytes + up * 400;
    const human = (b: number): string => (b > 1e9 ? `${(b / 1073741824).toFixed(1)} GiB` : `${(b / 1048576).toFixed(1)} MiB`);
    ctx.out(`${n.iface}: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n        inet ${n.ipv4}  netmask ${maskOf(n.prefix)}  broadcast ${broadcastOf(n.ipv4, n.prefix)}\n        inet6 ${n.ipv6LinkLocal}  prefixlen 64  scopeid 0x20<link>\n        ether ${n.mac}  txqueuelen 1000  (Ethernet)\n        RX packets ${Math.floor(rx / 800)}  bytes ${rx} (${human(rx)})\n        RX errors 0  dropped ${Math.floor(up / 3600)}  overruns 0  frame 0\n        TX packets ${Math.floor(tx / 600)}  bytes ${tx} (${human(tx)})\n        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n\n`);
    ctx.out(`lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536\n        inet 127.0.0.1  netmask 255.0.0.0\n        inet6 ::1  prefixlen 128  scopeid 0x10<host>\n        loop  txqueuelen 1000  (Local Loopback)\n        RX packets ${up}  bytes ${up * 120} (${human(up * 120)})\n        RX errors 0  dropped 0  overruns 0  frame 0\n        TX packets ${up}  bytes ${up * 120} (${human(up * 120)})\n        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n\n`);
    return 0;
  },
};
