// md5sum, sha1sum, sha256sum: real digests of the virtual files.
import { createHash } from 'node:crypto';
import type { CommandDef } from '../types.js';
import { readInputs } from './util.js';

export const md5sum: CommandDef = {
  names: ['md5sum', 'sha1sum', 'sha256sum', 'sha512sum'],
  run(ctx) {
    const algo = ctx.name.replace(/sum$/, '').replace(/^.*\//, '');
    const files = ctx.args.filter((a) => !a.startsWith('-'));
    const { inputs, status } = readInputs(ctx, ctx.name, files);
    for (const i of inputs) ctx.out(`${createHash(algo).update(i.data).digest('hex')}  ${i.name}\n`);
    return status;
  },
};
