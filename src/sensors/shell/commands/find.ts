// find: walks the virtual tree with -name -iname -type -maxdepth -mindepth -perm -size -user, prints or -delete.
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT, sizeOf, type VNode } from '../vfs.js';
import { GlobBudget, globMatcher } from '../shell.js';

/** Entries visited by one find, so `find /` stays cheap. */
export const MAX_FIND_ENTRIES = 20_000;

export const find: CommandDef = {
  names: ['find'],
  run(ctx) {
    const args = [...ctx.args];
    const roots: string[] = [];
    while (args.length && !args[0]!.startsWith('-') && args[0] !== '!' && args[0] !== '(') roots.push(args.shift()!);
    if (roots.length === 0) roots.push('.');
    const tests: ((path: string, name: string, n: VNode, depth: number) => boolean)[] = [];
    let maxDepth = Infinity;
    let minDepth = 0;
    let del = false;
    let negate = false;
    const globBudget = new GlobBudget();
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const v = args[i + 1];
      const push = (t: (path: string, name: string, n: VNode, depth: number) => boolean): void => {
        const neg = negate;
        negate = false;
        tests.push(neg ? (...x) => !t(...x) : t);
      };
      switch (a) {
        case '!':
        case '-not':
          negate = true;
          break;
        case '-name':
        case '-iname': {
          const match = globMatcher(a === '-iname' ? (v ?? '').toLowerCase() : (v ?? ''), globBudget);
          push((_p, name) => match(a === '-iname' ? name.toLowerCase() : name));
          i++;
          break;
        }
        case '-path': {
          const match = globMatcher(v ?? '', globBudget);
          push((p) => match(p));
          i++;
          break;
        }
        case '-type':
          push((_p, _n, n) => (v === 'd' ? n.kind === 'dir' : v === 'l' ? n.kind === 'link' : v === 'f' ? n.kind === 'file' && !n.special : false));
          i++;
          break;
        case '-maxdepth':
          maxDepth = Number(v);
          i++;
          break;
        case '-mindepth':
          minDepth = Number(v);
          i++;
          break;
        case '-perm': {
          const m = v ?? '';
          const bits = parseInt(m.replace(/^[-/]/, ''), 8);
          push((_p, _n, n) => (m.startsWith('-') ? (n.mode & bits) === bits : m.startsWith('/') ? (n.mode & bits) !== 0 : (n.mode & 0o7777) === bits));
          i++;
          break;
        }
        case '-user': {
          const uid = v === 'root' ? 0 : ctx.sh.users.find((u) => u.name === v)?.uid ?? Number(v);
          push((_p, _n, n) => n.uid === uid);
          i++;
          break;
        }
        case '-size': {
          const m = /^([+-]?)(\d+)([ckMG]?)$/.exec(v ?? '');
          const unit = { c: 1, k: 1024, M: 1 << 20, G: 1 << 30, '': 512 }[m?.[3] ?? ''] ?? 512;
          const want = Number(m?.[2] ?? 0);
          push((_p, _n, n) => {
            const s = Math.ceil(sizeOf(n) / unit);
            return m?.[1] === '+' ? s > want : m?.[1] === '-' ? s < want : s === want;
          });
          i++;
          break;
        }
        case '-delete':
          del = true;
          break;
        case '-print':
        case '-print0':
        case '-xdev':
        case '-ls':
          break;
        case '-exec':
          while (i < args.length && args[i] !== ';' && args[i] !== '+') i++;
          break;
        case '-o':
        case '-a':
        case '(':
        case ')':
          break;
        case '-newer':
        case '-mtime':
        case '-mmin':
        case '-ctime':
        case '-writable':
        case '-readable':
          if (a !== '-writable' && a !== '-readable') i++;
          break;
        default:
          ctx.err(`find: unknown predicate \`${a}'\n`);
          return 1;
      }
    }
    let status = 0;
    let visited = 0;
    let out = '';
    const walk = (shown: string, path: string, depth: number): void => {
      if (++visited > MAX_FIND_ENTRIES) return;
      const st = ctx.sh.vfs.stat(path, depth === 0);
      if (typeof st === 'string') {
        ctx.err(`find: '${shown}': ${FS_ERROR_TEXT[st]}\n`);
        status = 1;
        return;
      }
      const name = shown.split('/').filter(Boolean).pop() ?? shown;
      if (depth >= minDepth && tests.every((t) => t(shown, name, st.node, depth))) {
        if (del) ctx.sh.vfs.remove(path, true);
        else out += `${shown}\n`;
      }
      if (st.node.kind === 'dir' && depth < maxDepth && !path.startsWith('/proc/')) {
        const kids = ctx.sh.vfs.list(st.path);
        if (typeof kids === 'string') {
          ctx.err(`find: '${shown}': ${FS_ERROR_TEXT[kids]}\n`);
          status = 1;
          return;
        }
        for (const k of kids) walk(`${shown === '/' ? '' : shown.replace(/\/$/, '')}/${k}`, `${st.path === '/' ? '' : st.path}/${k}`, depth + 1);
      }
    };
    for (const r of roots) walk(r, ctx.sh.resolve(r), 0);
    ctx.out(out);
    return status;
  },
};
