// chmod: octal and symbolic modes (u+x, go=, a-w, +x), -R.
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';

/** Applies a chmod MODE to OLD; undefined when MODE is invalid. */
export function applyMode(mode: string, old: number, isDir: boolean): number | undefined {
  if (/^[0-7]{1,4}$/.test(mode)) return parseInt(mode, 8);
  let m = old;
  for (const clause of mode.split(',')) {
    const c = /^([ugoa]*)([-+=])([rwxXst]*)$/.exec(clause);
    if (!c) return undefined;
    const who = c[1] || 'a';
    let bits = 0;
    for (const p of c[3]!) {
      if (p === 'r') bits |= 0o444;
      if (p === 'w') bits |= 0o222;
      if (p === 'x' || (p === 'X' && (isDir || old & 0o111))) bits |= 0o111;
      if (p === 's') bits |= 0o6000;
      if (p === 't') bits |= 0o1000;
    }
    let mask = 0;
    if (who.includes('u') || who.includes('a')) mask |= 0o4700;
    if (who.includes('g') || who.includes('a')) mask |= 0o2070;
    if (who.includes('o') || who.includes('a')) mask |= 0o1007;
    bits &= mask;
    if (c[2] === '+') m |= bits;
    else if (c[2] === '-') m &= ~bits;
    else m = (m & ~mask) | bits;
  }
  return m & 0o7777;
}

export const chmod: CommandDef = {
  names: ['chmod'],
  run(ctx) {
    const args = ctx.args.filter((a) => !/^-[Rvcf]+$/.test(a) && a !== '--recursive');
    const recursive = ctx.args.some((a) => /^-[vcf]*R/.test(a) || a === '--recursive');
    const [mode, ...files] = args;
    if (mode === undefined || files.length === 0) {
      ctx.err(mode === undefined ? "chmod: missing operand\nTry 'chmod --help' for more information.\n" : `chmod: missing operand after '${mode}'\nTry 'chmod --help' for more information.\n`);
      return 1;
    }
    let status = 0;
    const apply = (path: string, shown: string, depth: number): void => {
      const st = ctx.sh.vfs.stat(path);
      if (typeof st === 'string') {
        ctx.err(`chmod: cannot access '${shown}': ${FS_ERROR_TEXT[st]}\n`);
        status = 1;
        return;
      }
      const m = applyMode(mode, st.node.mode, st.node.kind === 'dir');
      if (m === undefined) {
        ctx.err(`chmod: invalid mode: '${mode}'\nTry 'chmod --help' for more information.\n`);
        status = 1;
        return;
      }
      const e = ctx.sh.vfs.update(st.path, { mode: m });
      if (e) {
        ctx.err(`chmod: changing permissions of '${shown}': ${e === 'EACCES' ? 'Operation not permitted' : FS_ERROR_TEXT[e]}\n`);
        status = 1;
      }
      if (recursive && st.node.kind === 'dir' && depth < 32) {
        const kids = ctx.sh.vfs.list(st.path);
        if (typeof kids !== 'string') for (const k of kids) apply(`${st.path === '/' ? '' : st.path}/${k}`, `${shown}/${k}`, depth + 1);
      }
    };
    for (const f of files) apply(ctx.sh.resolve(f), f, 0);
    return status;
  },
};
