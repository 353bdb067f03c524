// ip: addr, link, route (iproute2 output for the profile's interface).
import type { CommandDef } from '../types.js';
import { broadcastOf } from './ifconfig.js';

export const ip: CommandDef = {
  names: ['ip'],
  run(ctx) {
    const n = ctx.sh.profile.net;
    const args = ctx.args.filter((a) => !/^-[46s]$/.test(a) && a !== '-c' && a !== '-br');
    const obj = args[0] ?? '';
    const lo = '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n';
    const eth = `2: ${n.iface}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n    link/ether ${n.mac} brd ff:ff:ff:ff:ff:ff\n`;
    if ('address'.startsWith(obj) && obj.length > 0) {
      ctx.out(`${lo}    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n    inet6 ::1/128 scope host noprefixroute \n       valid_lft forever preferred_lft forever\n`);
      ctx.out(`${eth.replace('    link/ether', `    altname enp0s3\n    link/ether`).replace(/\n    altname enp0s3\n/, '\n')}    inet ${n.ipv4}/${n.prefix} brd ${broadcastOf(n.ipv4, n.prefix)} scope global ${n.iface}\n       valid_lft forever preferred_lft forever\n    inet6 ${n.ipv6LinkLocal}/64 scope link \n       valid_lft forever preferred_lft forever\n`);
      return 0;
    }
    if ('link'.startsWith(obj) && obj.length > 0) {
      ctx.out(lo + eth.replace(' group default qlen 1000', ' mode DEFAULT group default qlen 1000').replace(' group default qlen 1000', ' mode DEFAULT group default qlen 1000'));
      return 0;
    }
    if ('route'.startsWith(obj) && obj.length > 0) {
      const net = n.ipv4.split('.').map(Number);
      const maskBits = n.prefix;
      const base = ((net[0]! << 24) | (net[1]! << 16) | (net[2]! << 8) | net[3]!) & (maskBits === 0 ? 0 : ~0 << (32 - maskBits));
      const netAddr = [24, 16, 8, 0].map((s) => ((base >>> s) & 255)).join('.');
      ctx.out(`default via ${n.gateway} dev ${n.iface} onlink \n${netAddr}/${n.prefix} dev ${n.iface} proto kernel scope link src ${n.ipv4} \n`);
      return 0;
    }
    if (obj === '' || obj === 'help') {
      ctx.err('Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n       ip [ -force ] -batch filename\nwhere  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp | link |\n                   macsec | maddress | monitor | mptcp | mroute | mrule |\n                   neighbor | neighbour | netconf | netns | nexthop | ntable |\n                   ntbl | route | rule | sr | tap | tcpmetrics |\n                   token | tunnel | tuntap | vrf | xfrm }\n');
      return obj === '' ? 255 : 0;
    }
    ctx.err(`Object "${obj}" is unknown, try "ip help".\n`);
    return 1;
  },
};
