// A small routed network made of network namespaces, for tests that need real separate hosts: one
// router namespace, and leaf namespaces each joined to it by a veth pair on its own /24. Everything
// made is removed by destroy() (and at process exit), whatever happened.
import { execFileSync } from 'node:child_process';

export interface Leaf {
  ns: string;
  /** The leaf's address, e.g. 10.77.1.2. */
  ip: string;
  /** The router-side interface (in the router namespace), for cutting the link. */
  routerIf: string;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

export class Topology {
  readonly router: string;
  readonly leaves = new Map<string, Leaf>();
  private readonly made: string[] = [];
  private readonly tag: string;
  private destroyed = false;

  constructor() {
    this.tag = `ap${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
    this.router = `${this.tag}-rt`;
    process.once('exit', () => this.destroy());
    this.addNs(this.router);
    execFileSync('ip', ['netns', 'exec', this.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'], { stdio: 'pipe' });
  }

  private addNs(ns: string): void {
    ip('netns', 'add', ns);
    this.made.push(ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }

  /** A leaf namespace NAME on SUBNET (three octets, e.g. "10.77.1"): leaf .2, router .1, default route via the router. */
  addLeaf(name: string, subnet: string): Leaf {
    const ns = `${this.tag}-${name}`;
    this.addNs(ns);
    const i = this.leaves.size;
    const rIf = `${this.tag}r${i}`;
    const lIf = `${this.tag}l${i}`;
    ip('link', 'add', rIf, 'netns', this.router, 'type', 'veth', 'peer', 'name', lIf, 'netns', ns);
    ip('-n', this.router, 'addr', 'add', `${subnet}.1/24`, 'dev', rIf);
    ip('-n', this.router, 'link', 'set', rIf, 'up');
    ip('-n', ns, 'addr', 'add', `${subnet}.2/24`, 'dev', lIf);
    ip('-n', ns, 'link', 'set', lIf, 'up');
    ip('-n', ns, 'route', 'add', 'default', 'via', `${subnet}.1`);
    const leaf = { ns, ip: `${subnet}.2`, routerIf: rIf };
    this.leaves.set(name, leaf);
    return leaf;
  }

  leaf(name: string): Leaf {
    const l = this.leaves.get(name);
    if (!l) throw new Error(`no leaf ${name}`);
    return l;
  }

  /** The command prefix that runs a program inside leaf NAME. */
  exec(name: string): string[] {
    return ['ip', 'netns', 'exec', this.leaf(name).ns];
  }

  /** Takes the router's side of leaf NAME's link down or up (`ip link set ... down`). */
  setLink(name: string, up: boolean): void {
    ip('-n', this.router, 'link', 'set', this.leaf(name).routerIf, up ? 'up' : 'down');
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    // Deleting a namespace removes its veth ends too; processes in it must have been stopped first.
    for (const ns of this.made.reverse()) {
      try {
        ip('netns', 'del', ns);
      } catch {
        /* already gone */
      }
    }
  }
}
