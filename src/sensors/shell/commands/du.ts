// du (GNU coreutils 9.1): disk usage of the virtual tree in 1K blocks as du computes it from
// st_blocks (ext4's 4K blocks; symlinks, /proc and /sys take none), with -a -s -c -h -b -m -k,
// --apparent-size and --max-depth/-d.
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT, sizeOf, type VNode } from '../vfs.js';
import { humanSize } from './util.js';

/** Entries visited by one du at most, so `du /` stays cheap (the rest are not counted). */
export const MAX_DU_ENTRIES = 20_000;

const BLOCK = 4096;
const TRY = "Try 'du --help' for more information.\n";

interface DuOptions {
  all: boolean;
  total: boolean;
  human: boolean;
  apparent: boolean;
  /** Bytes per unit printed: 1024 (-k), 1 (-b), 1048576 (-m). */
  unit: number;
  maxDepth: number;
}

/** -b: apparent sizes counted in bytes. */
function bytes(o: DuOptions): void {
  o.apparent = true;
  o.unit = 1;
}

function parse(args: readonly string[]): { o: DuOptions; files: string[] } | string {
  const o: DuOptions = { all: false, total: false, human: false, apparent: false, unit: 1024, maxDepth: Infinity };
  const files: string[] = [];
  const depth = (v: string | undefined): string | undefined => {
    if (v === undefined || !/^\d+$/.test(v)) return `du: invalid maximum depth ‘${v ?? ''}’\n${TRY}`;
    o.maxDepth = Number(v);
    return undefined;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let e: string | undefined;
    if (a === '--') {
      files.push(...args.slice(i + 1));
      break;
    } else if (a.startsWith('--max-depth=')) e = depth(a.slice(12));
    else if (a === '--max-depth') e = depth(args[++i]);
    else if (a === '--apparent-size') o.apparent = true;
    else if (a === '--all') o.all = true;
    else if (a === '--total') o.total = true;
    else if (a === '--summarize') o.maxDepth = 0;
    else if (a === '--human-readable') o.human = true;
    else if (a === '--bytes') bytes(o);
    else if (['--one-file-system', '--dereference-args', '--no-dereference', '--separate-dirs', '--count-links'].includes(a)) continue;
    else if (a.startsWith('--')) e = `du: unrecognized option '${a}'\n${TRY}`;
    else if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length && e === undefined; j++) {
        const c = a[j]!;
        if (c === 'd') {
          e = depth(a.slice(j + 1) || args[++i]);
          break;
        }
        if (c === 'a') o.all = true;
        else if (c === 'c') o.total = true;
        else if (c === 's') o.maxDepth = 0;
        else if (c === 'h') o.human = true;
        else if (c === 'k') o.unit = 1024;
        else if (c === 'm') o.unit = 1 << 20;
        else if (c === 'b') bytes(o);
        else if (!'xLPDHlS0'.includes(c)) e = `du: invalid option -- '${c}'\n${TRY}`;
      }
    } else files.push(a);
    if (e !== undefined) return e;
  }
  return { o, files: files.length ? files : ['.'] };
}

/** What one entry adds: bytes on disk (whole 4K blocks), or its length with --apparent-size. */
function usage(path: string, n: VNode, apparent: boolean): number {
  const virtual = path === '/proc' || path === '/sys' || path.startsWith('/proc/') || path.startsWith('/sys/');
  if (virtual) return 0;
  if (n.kind === 'link') return apparent ? n.target.length : 0;
  if (n.kind === 'file' && n.special) return 0;
  const size = sizeOf(n);
  return apparent ? size : Math.ceil(size / BLOCK) * BLOCK;
}

export const du: CommandDef = {
  names: ['du'],
  run(ctx) {
    const p = parse(ctx.args);
    if (typeof p === 'string') {
      ctx.err(p);
      return 1;
    }
    const { o, files } = p;
    const show = (bytes: number): string => (o.human ? (bytes === 0 ? '0' : humanSize(bytes)) : String(Math.ceil(bytes / o.unit)));
    let status = 0;
    let visited = 0;
    let out = '';
    const walk = (shown: string, path: string, depth: number): number => {
      if (++visited > MAX_DU_ENTRIES) return 0;
      const st = ctx.sh.vfs.stat(path, false);
      if (typeof st === 'string') {
        ctx.err(`du: cannot access '${shown}': ${FS_ERROR_TEXT[st]}\n`);
        status = 1;
        return -1;
      }
      let sum = usage(st.path, st.node, o.apparent);
      if (st.node.kind === 'dir') {
        const kids = ctx.sh.vfs.list(st.path);
        if (typeof kids === 'string') {
          ctx.err(`du: cannot read directory '${shown}': ${FS_ERROR_TEXT[kids]}\n`);
          status = 1;
        } else {
          const base = shown.endsWith('/') ? shown : `${shown}/`;
          for (const k of kids) sum += Math.max(0, walk(base + k, `${st.path === '/' ? '' : st.path}/${k}`, depth + 1));
        }
      }
      if (depth <= o.maxDepth && (depth === 0 || st.node.kind === 'dir' || o.all)) out += `${show(sum)}\t${shown}\n`;
      return sum;
    };
    let total = 0;
    for (const f of files) total += Math.max(0, walk(f, ctx.sh.resolve(f), 0));
    if (o.total) out += `${show(total)}\ttotal\n`;
    ctx.out(out);
    return status;
  },
};
